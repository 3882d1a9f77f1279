import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeName,
  encodeName,
  fromSqlPath,
  isTextName,
  listNames,
  osPath,
  readLinkText,
  sqlPath,
} from './byteNames.js';
import { compareNames } from '../hash/identifiers.js';
import { makeSandbox } from '../../../testing/sandbox.js';

// Names mixing valid UTF-8 (of every length class) with raw bytes, so both paths are exercised.
const bytes = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 6 }).map((a) => Buffer.from(a)),
      fc.string({ unit: 'binary', maxLength: 6 }).map((s) => Buffer.from(s, 'utf8')),
    ),
    { maxLength: 6 },
  )
  .map((parts) => Buffer.concat(parts));

describe('names as bytes', () => {
  it('every byte string comes back exactly, and only non-UTF-8 ones are not well-formed text', () => {
    fc.assert(
      fc.property(bytes, (b) => {
        const s = decodeName(b);
        expect(encodeName(s).equals(b)).toBe(true);
        const valid = Buffer.from(b.toString('utf8'), 'utf8').equals(b);
        expect(isTextName(s)).toBe(valid);
        if (valid) expect(s).toBe(b.toString('utf8'));
      }),
      { numRuns: 5000 },
    );
  });

  it('two different byte strings never become one name, and names sort as their bytes', () => {
    fc.assert(
      fc.property(bytes, bytes, (a, b) => {
        const sa = decodeName(a);
        const sb = decodeName(b);
        expect(sa === sb).toBe(a.equals(b));
        expect(Math.sign(compareNames(sa, sb))).toBe(Math.sign(Buffer.compare(a, b)));
      }),
      { numRuns: 5000 },
    );
  });

  it('keeps valid UTF-8 that is not ASCII, astral characters and a literal U+FFFD as they are', () => {
    for (const s of ['café', '日本語', '😀 \u{1f080}', 'a\ufffdb', '']) {
      expect(decodeName(Buffer.from(s, 'utf8'))).toBe(s);
      expect(osPath(s)).toBe(s);
    }
  });

  it('escapes what UTF-8 forbids: overlong forms, encoded surrogates, truncated sequences', () => {
    const cases: [number[], string][] = [
      [[0x63, 0x61, 0x66, 0xe9], 'caf\udce9'], // latin-1 é
      [[0xc0, 0xaf], '\udcc0\udcaf'], // overlong '/'
      [[0xed, 0xa0, 0x80], '\udced\udca0\udc80'], // an encoded surrogate
      [[0xe2, 0x82], '\udce2\udc82'], // a truncated €
      [[0xf4, 0x90, 0x80, 0x80], '\udcf4\udc90\udc80\udc80'], // above U+10FFFF
      [[0xff, 0x41, 0xe2, 0x82, 0xac], '\udcffA€'],
    ];
    for (const [b, s] of cases) expect(decodeName(Buffer.from(b))).toBe(s);
  });

  it('refuses a string that no name can hold, instead of writing another name', () => {
    expect(() => encodeName('a\ud800')).toThrow(/U\+D800/);
    expect(() => encodeName('a\udc41')).toThrow(/U\+DC41/);
  });

  it('keys SQLite rows by text where the name is UTF-8 and by bytes otherwise', () => {
    expect(sqlPath('a/b')).toBe('a/b');
    const raw = sqlPath('a/\udcff');
    expect(Buffer.isBuffer(raw) && raw.equals(Buffer.from([0x61, 0x2f, 0xff]))).toBe(true);
    expect(fromSqlPath(raw)).toBe('a/\udcff');
  });

  it('lists and reads links on a real folder byte-exactly', () => {
    const sb = makeSandbox('names');
    try {
      const dir = path.join(sb.base, 'names');
      fs.mkdirSync(dir);
      const raw = Buffer.concat([Buffer.from(dir + '/x'), Buffer.from([0xe9, 0x01])]);
      fs.writeFileSync(raw, 'data');
      fs.writeFileSync(path.join(dir, 'plain'), 'p');
      fs.symlinkSync(Buffer.from([0x78, 0xe9, 0x01]), Buffer.from(dir + '/link'));
      const names = listNames(dir).sort();
      expect(names).toEqual(['link', 'plain', 'x\udce9\u0001']);
      expect(fs.readFileSync(osPath(`${dir}/x\udce9\u0001`), 'utf8')).toBe('data');
      expect(readLinkText(`${dir}/link`)).toBe('x\udce9\u0001');
    } finally {
      sb.cleanup();
    }
  });
});
