// How a file name is shown where text must be valid and printable. Names are bytes (see
// engine/core/runtime/byteNames.ts): a byte that is not valid UTF-8 is carried as the lone
// surrogate U+DC80..U+DCFF. Shown, it and every control character become rsync's `\#ooo` (the
// byte in octal), so a terminal line or a log shows exactly which bytes a name holds and cannot be
// broken by a newline or an escape sequence inside one. A backslash that would read as the start of
// such an escape (followed by '#') is escaped itself, so the shown form is unambiguous.

export interface NamePart {
  text: string;
  /** an escaped byte or control character, shown with a visible marker */
  escaped: boolean;
}

function octal(byte: number): string {
  return '\\#' + byte.toString(8).padStart(3, '0');
}

function utf8Bytes(code: number): number[] {
  // Only C1 controls (U+0080..U+009F) reach here above 0x7f: two bytes each.
  return code < 0x80 ? [code] : [0xc0 | (code >> 6), 0x80 | (code & 0x3f)];
}

/** Whether the UTF-16 unit at i is a lone surrogate that stands for a raw byte. */
function rawByteAt(s: string, i: number): number | null {
  const c = s.charCodeAt(i);
  if (c < 0xdc80 || c > 0xdcff) return null;
  const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
  return prev >= 0xd800 && prev <= 0xdbff ? null : c - 0xdc00;
}

/** A name split into printable runs and escapes, for a UI that marks the escapes. */
export function nameParts(s: string): NamePart[] {
  const parts: NamePart[] = [];
  let run = '';
  const escape = (text: string): void => {
    if (run) parts.push({ text: run, escaped: false });
    run = '';
    const last = parts[parts.length - 1];
    if (last?.escaped) last.text += text;
    else parts.push({ text, escaped: true });
  };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const raw = rawByteAt(s, i);
    if (raw !== null) escape(octal(raw));
    else if (c < 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f))
      escape(utf8Bytes(c).map(octal).join(''));
    else if (c === 0x5c && s[i + 1] === '#') escape(octal(0x5c));
    else run += s[i];
  }
  if (run) parts.push({ text: run, escaped: false });
  return parts;
}

/** A name or path as printable text: `\#ooo` for raw bytes and control characters. */
export function escapeName(s: string): string {
  // The common case, checked cheaply: nothing to escape.
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u001f\u007f-\u009f\ud800-\udfff\\]/.test(s)) return s;
  return nameParts(s)
    .map((p) => p.text)
    .join('');
}

/**
 * Text with its raw bytes (only) shown as `\#ooo`: for messages that quote a path among other
 * words, where a lone surrogate would otherwise reach the terminal as a replacement character.
 */
export function escapeRawBytes(s: string): string {
  if (s.isWellFormed()) return s;
  return s.replace(/[\udc80-\udcff]/g, (c, i: number) => {
    const prev = i > 0 ? s.charCodeAt(i - 1) : 0;
    return prev >= 0xd800 && prev <= 0xdbff ? c : octal(c.charCodeAt(0) - 0xdc00);
  });
}
