import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { xxhash128, xxhash3, blake3 } from 'hash-wasm';
import {
  createSchemeHasher,
  HASH_FUNCTIONS,
  idLength,
  normalizeScheme,
  parseScheme,
  SchemeError,
} from './hashScheme.js';

describe('parseScheme', () => {
  it.each([
    ['xxh128', 'xxh128'],
    [' XXH3 + blake3 ', 'xxh3+blake3'],
    ['sha256+xxh64', 'sha256+xxh64'],
  ])('normalises %j to %s', (input, out) => expect(normalizeScheme(input)).toBe(out));

  it.each([
    ['', /empty hash scheme/],
    ['md4', /unknown hash function 'md4'/],
    ['xxh3+xxh3', /appears twice/],
    ['+', /empty hash scheme/],
  ])('rejects %j', (input, msg) => {
    expect(() => parseScheme(input)).toThrow(SchemeError);
    expect(() => parseScheme(input)).toThrow(msg);
  });

  it('knows each function id length', () => {
    expect(idLength('xxh128')).toBe(16);
    expect(idLength('xxh3+blake3')).toBe(8 + 32);
  });
});

describe('createSchemeHasher', () => {
  const data = Buffer.from('The quick brown fox jumps over the lazy dog');

  it('matches the reference implementations', async () => {
    expect((await createSchemeHasher('xxh128')).hash(data).toString('hex')).toBe(
      await xxhash128(data),
    );
    expect((await createSchemeHasher('sha256')).hash(data).toString('hex')).toBe(
      createHash('sha256').update(data).digest('hex'),
    );
  });

  it('concatenates the digests of a combined scheme, in order', async () => {
    const id = (await createSchemeHasher('xxh3+blake3')).hash(data).toString('hex');
    expect(id).toBe((await xxhash3(data)) + (await blake3(data)));
  });

  it('gives the same digest incrementally as in one shot, for every function', async () => {
    for (const f of HASH_FUNCTIONS) {
      const h = await createSchemeHasher(f);
      const one = h.hash(data);
      h.init();
      h.update(data.subarray(0, 10));
      h.update(data.subarray(10));
      expect(h.digest()).toEqual(one);
      expect(one.length).toBe(idLength(f));
    }
  });
});
