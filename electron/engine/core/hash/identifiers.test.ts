import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeName } from '../runtime/byteNames.js';
import {
  chooseChunkSize,
  chunkCount,
  compareNames,
  fileId,
  folderId,
  MAX_CHUNK,
  MIN_CHUNK,
  symlinkId,
} from './identifiers.js';
import { createSchemeHasher } from './hashScheme.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

describe('chooseChunkSize', () => {
  it.each([
    [0, 128 * KiB],
    [1, 128 * KiB],
    [250 * MiB - 1, 128 * KiB],
    [250 * MiB, 256 * KiB],
    [64 * MiB, 128 * KiB],
    [1 * GiB, 1 * MiB],
    [10 * GiB, 8 * MiB],
    [31.25 * GiB, 16 * MiB],
    [4096 * GiB, 16 * MiB],
  ])('a %d-byte file uses %d-byte chunks', (size, expected) => {
    expect(chooseChunkSize(size)).toBe(expected);
  });

  it('always picks a power of two in range with at most 2,000 chunks below the maximum', () => {
    for (let size = 1; size < 64 * GiB; size = Math.floor(size * 1.7) + 3) {
      const c = chooseChunkSize(size);
      expect(c & (c - 1)).toBe(0);
      expect(c).toBeGreaterThanOrEqual(MIN_CHUNK);
      expect(c).toBeLessThanOrEqual(MAX_CHUNK);
      if (c < MAX_CHUNK) expect(chunkCount(size, c)).toBeLessThanOrEqual(2000);
    }
  });
});

describe('identifiers', () => {
  it('file ids depend on size, chunk size and every chunk id', async () => {
    const h = await createSchemeHasher('xxh128');
    const ids = Buffer.alloc(32, 1);
    const base = fileId(h, 100, MIN_CHUNK, ids);
    expect(fileId(h, 100, MIN_CHUNK, Buffer.alloc(32, 1))).toEqual(base);
    expect(fileId(h, 101, MIN_CHUNK, ids)).not.toEqual(base);
    expect(fileId(h, 100, 2 * MIN_CHUNK, ids)).not.toEqual(base);
    const other = Buffer.from(ids);
    other[31] = 2;
    expect(fileId(h, 100, MIN_CHUNK, other)).not.toEqual(base);
  });

  it('folder ids ignore child order but see names, types, modes, mtimes and ids', async () => {
    const h = await createSchemeHasher('xxh128');
    const a = {
      name: 'a',
      type: 'file' as const,
      id: Buffer.alloc(16, 1),
      mode: 0o644,
      mtimeKey: 5,
    };
    const b = {
      name: 'b',
      type: 'dir' as const,
      id: Buffer.alloc(16, 2),
      mode: 0o755,
      mtimeKey: 0,
    };
    const id = folderId(h, [a, b]);
    expect(folderId(h, [b, a])).toEqual(id);
    expect(folderId(h, [{ ...a, name: 'c' }, b])).not.toEqual(id);
    expect(folderId(h, [{ ...a, mode: 0o600 }, b])).not.toEqual(id);
    expect(folderId(h, [{ ...a, mtimeKey: 6 }, b])).not.toEqual(id);
    expect(folderId(h, [{ ...a, type: 'symlink' }, b])).not.toEqual(id);
    expect(folderId(h, [a])).not.toEqual(id);
    expect(folderId(h, [])).not.toEqual(folderId(h, [a]));
  });

  it('keeps the encoding every stored folder id was computed with (pinned values)', async () => {
    // Ids are kept in every pair's index and compared with a remote helper's: a change in the
    // encoding (the order of fields, a length's width) would make every folder look changed.
    const h = await createSchemeHasher('xxh128');
    const kids = [
      { name: 'b', type: 'dir' as const, id: Buffer.alloc(16, 2), mode: 0o755, mtimeKey: 0 },
      { name: 'a', type: 'file' as const, id: Buffer.alloc(16, 1), mode: 0o644, mtimeKey: 5 },
    ];
    const rich = [
      ...kids,
      {
        name: 'caf\udce9',
        type: 'file' as const,
        id: Buffer.alloc(16, 3),
        mode: 0o600,
        mtimeKey: -7,
        xattrId: Buffer.alloc(16, 4),
        owner: { uid: 1000, gid: 4294967294 },
        linkGroup: 'x/caf\u00e9',
      },
      { name: 'l', type: 'symlink' as const, id: Buffer.alloc(16, 5), mode: 0o777, mtimeKey: 1.5 },
    ];
    expect(folderId(h, kids).toString('hex')).toBe('2d342550db24bf691c489805330550ec');
    expect(folderId(h, rich).toString('hex')).toBe('a22b8e3509070916b6e365b470c94d31');
    expect(folderId(h, []).toString('hex')).toBe('0592ccc0598a66e9cbcb1bf38c89196e');
  });

  it('a symlink id is its link text, distinct from a file holding the same text', async () => {
    const h = await createSchemeHasher('xxh128');
    expect(symlinkId(h, 'x')).toEqual(symlinkId(h, 'x'));
    expect(symlinkId(h, 'x')).not.toEqual(symlinkId(h, 'y'));
    expect(symlinkId(h, 'x')).not.toEqual(h.hash(Buffer.from('x')));
  });
});

describe('compareNames', () => {
  it('orders names as their bytes are ordered (property; seed printed on failure)', () => {
    // Characters near the edges that matter: ASCII, below and above the surrogates, characters
    // above U+FFFF (surrogate pairs), bytes standing for themselves (U+DC80..U+DCFF alone), the
    // last BMP characters.
    const char = fc.constantFrom(
      'A',
      'a',
      '\x7f',
      '\u00e9',
      '\u07ff',
      '\u0800',
      '\ud7ff',
      '\ud800\udc00',
      '\ud83d\ude00',
      '\udbff\udfff',
      '\udc80',
      '\udce9',
      '\udcff',
      '\ue000',
      '\ufffd',
      '\uffff',
    );
    const name = fc.array(char, { maxLength: 6 }).map((c) => c.join(''));
    fc.assert(
      fc.property(name, name, (a, b) => {
        const want = Math.sign(Buffer.compare(encodeName(a), encodeName(b)));
        expect(Math.sign(compareNames(a, b))).toBe(want);
        expect(Math.sign(compareNames(b, a))).toBe(want === 0 ? 0 : -want);
      }),
      { numRuns: 20_000 },
    );
  });
});
