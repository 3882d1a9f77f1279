// Names as bytes in tests: a JS string stands for any name's bytes, as Python's surrogateescape
// does it. Valid UTF-8 decodes as usual; each byte that is not part of valid UTF-8 becomes the
// lone surrogate U+DC00 + byte (U+DC80..U+DCFF, which valid UTF-8 never yields), so a name read
// from disk and written back is the same bytes, and a name that is valid UTF-8 is its usual string.
// No vitest import: engine code and benchmarks may use it too.

/** A lone surrogate that stands for one raw byte (a surrogate pair is one code point here). */
const ESCAPED_BYTE = /[\u{DC80}-\u{DCFF}]/u;

/** The string for the byte `b` (0x80..0xFF) that is not part of valid UTF-8. */
export function escapedByte(b: number): string {
  if (b < 0x80 || b > 0xff) throw new Error(`only bytes 0x80..0xff are escaped, not ${b}`);
  return String.fromCharCode(0xdc00 + b);
}

/** Whether the string holds an escaped byte (so its bytes are not valid UTF-8). */
export function hasEscapedBytes(s: string): boolean {
  return ESCAPED_BYTE.test(s);
}

/** A name's (or path's) bytes: UTF-8, with each escaped byte as itself. */
export function nameToBytes(s: string): Buffer {
  if (!hasEscapedBytes(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    parts.push(c >= 0xdc80 && c <= 0xdcff ? Buffer.from([c - 0xdc00]) : Buffer.from(ch, 'utf8'));
  }
  return Buffer.concat(parts);
}

/** A name's bytes as the string that stands for them (see the top of this file). */
export function bytesToName(b: Buffer): string {
  const s = b.toString('utf8');
  // The decoder writes U+FFFD only for bytes it cannot decode, or where the name holds one.
  if (!s.includes('\ufffd')) return s;
  let out = '';
  let i = 0;
  while (i < b.length) {
    let taken = 0;
    for (let n = 1; n <= 4 && i + n <= b.length && taken === 0; n++) {
      const seq = b.subarray(i, i + n);
      const ch = seq.toString('utf8');
      // One code point that encodes back to exactly these bytes: a valid sequence.
      if ([...ch].length === 1 && Buffer.from(ch, 'utf8').equals(seq)) {
        out += ch;
        taken = n;
      }
    }
    if (taken === 0) {
      out += escapedByte(b[i]!);
      taken = 1;
    }
    i += taken;
  }
  return out;
}

/** A path for node:fs: the string itself, or its bytes where it holds escaped bytes. */
export function fsPath(s: string): string | Buffer {
  return hasEscapedBytes(s) ? nameToBytes(s) : s;
}
