// An ssh command line as given by a person (rsync's -e, a remote pair's setting), split into the
// command and its arguments without a shell.

/**
 * `-e 'ssh -p 2222 -i "my key"'` as a command and its arguments: split at spaces outside
 * quotes, as rsync splits its -e (no shell runs it, so nothing else is special).
 */
export function splitCommand(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let any = false;
  for (const c of s) {
    if (quote) {
      if (c === quote) quote = null;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (/\s/.test(c)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (quote) throw new Error(`an unclosed ${quote}: ${s}`);
  if (cur || any) out.push(cur);
  if (!out.length) throw new Error('a command is needed, e.g. "ssh -p 2222"');
  return out;
}
