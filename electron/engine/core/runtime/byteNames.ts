// File names are bytes. Linux allows any byte in a name except '/' and NUL, and a name need not
// be valid UTF-8 (latin-1 names from old archives, raw control bytes). Inside the engine a name is
// a JS string in which every byte that is not part of a valid UTF-8 sequence stands for itself as
// the lone surrogate U+DC80..U+DCFF: Python's "surrogateescape" (PEP 383), so a JSON path handed
// to Python's os.fsencode gives back the exact bytes. Valid UTF-8 never decodes to a lone
// surrogate, so the mapping is one-to-one, and a valid name is the same string it always was: no
// index, id or listing of an ordinary tree changes. Every place a name meets the OS or a database
// turns it back into bytes here (osPath, sqlPath); everywhere else it is an ordinary string.
import fs from 'node:fs';

/** The length of the valid UTF-8 sequence starting at b[i], or 0 if none does. */
function validSequence(b: Uint8Array, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + k];
    return x !== undefined && x >= lo && x <= hi;
  };
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no encoded surrogates
  if (c >= 0xe1 && c <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

/** A name (or path) as listed in bytes, as the engine's string. */
export function decodeName(b: Buffer): string {
  const s = b.toString('utf8');
  // Valid UTF-8 decodes without a replacement character, unless the name holds one itself.
  if (!s.includes('\ufffd') || Buffer.from(s, 'utf8').equals(b)) return s;
  let out = '';
  let run = 0;
  let i = 0;
  while (i < b.length) {
    const n = validSequence(b, i);
    if (n) {
      i += n;
      continue;
    }
    out += b.toString('utf8', run, i) + String.fromCharCode(0xdc00 + b[i]!);
    run = ++i;
  }
  return out + b.toString('utf8', run);
}

/** The bytes of an engine name or path. */
export function encodeName(s: string): Buffer {
  if (s.isWellFormed()) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++;
        continue;
      }
    }
    if (c < 0xdc80 || c > 0xdcff)
      throw new Error(`a name holds U+${c.toString(16).toUpperCase()}, which no file name can`);
    parts.push(Buffer.from(s.slice(run, i), 'utf8'), Buffer.of(c - 0xdc00));
    run = i + 1;
  }
  parts.push(Buffer.from(s.slice(run), 'utf8'));
  return Buffer.concat(parts);
}

/** Whether a name is valid UTF-8 on disk (so any text API carries it unchanged). */
export function isTextName(s: string): boolean {
  return s.isWellFormed();
}

/**
 * A path as Node's fs takes it: the string itself where it is valid UTF-8 (the common case, no
 * copy), its exact bytes otherwise (a string would be encoded with replacement characters).
 */
export function osPath(p: string): string | Buffer {
  return p.isWellFormed() ? p : encodeName(p);
}

/**
 * A path as an SQLite key: TEXT where it is valid UTF-8 (so existing rows keep their keys), its
 * bytes as a BLOB otherwise (better-sqlite3 would replace a lone surrogate, merging names). A TEXT
 * and a BLOB never compare equal, and each name has exactly one form, so keys stay unique.
 */
export function sqlPath(p: string): string | Buffer {
  return osPath(p);
}

/** A path read back from an SQLite key written with sqlPath. */
export function fromSqlPath(v: string | Buffer): string {
  return typeof v === 'string' ? v : decodeName(v);
}

/**
 * A folder's names, byte-exact (byteNames.ts). Listed as strings first, the common case at no
 * extra cost; a replacement character means a name may not be UTF-8, so the folder is listed again
 * as bytes.
 */
export function listNames(abs: string): string[] {
  const p = osPath(abs);
  const names = fs.readdirSync(p);
  if (!names.some((n) => n.includes('\ufffd'))) return names;
  return fs.readdirSync(p, { encoding: 'buffer' }).map(decodeName);
}

/** A symlink's text, byte-exact like names (a link may point at a name that is not UTF-8). */
export function readLinkText(abs: string): string {
  const p = osPath(abs);
  const text = fs.readlinkSync(p);
  return text.includes('\ufffd') ? decodeName(fs.readlinkSync(p, { encoding: 'buffer' })) : text;
}
