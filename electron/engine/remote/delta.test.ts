// The rsync delta of a remote pair's shifted chunks: any edit of any file rebuilds exactly, and an
// insertion costs its own bytes plus at most about a block, not the rest of the file.
import crypto from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSchemeHasher, type SchemeHasher } from '../core/hash/hashScheme.js';
import { applyEdits, byteEdit } from '../../testing/byteEdits.js';
import {
  applyDelta,
  blockSizeFor,
  decodeSignature,
  encodeDelta,
  encodeSignature,
  signatureOf,
  weakSum,
  type Signature,
} from './delta.js';

let hasher: SchemeHasher;
beforeAll(async () => {
  hasher = await createSchemeHasher('xxh128');
});

const SEED = Number(process.env.TANDEM_PROPERTY_SEED ?? Date.now() % 2 ** 31);

function sig(old: Buffer, block?: number): Signature {
  return signatureOf(old.length, (o, l) => old.subarray(o, o + l), hasher, block);
}

function roundTrip(old: Buffer, data: Buffer, block?: number) {
  const s = decodeSignature(encodeSignature(sig(old, block)), old.length);
  const d = encodeDelta(data, s, hasher);
  const back = applyDelta(d, s.block, data.length, (offset, into) =>
    old.copy(into, 0, offset, offset + into.length),
  );
  return { d, back, block: s.block };
}

describe('the rsync delta', () => {
  it('rolls its weak sum exactly as it sums a block afresh', () => {
    const b = crypto.randomBytes(10_000);
    const B = 512;
    let { s1, s2 } = weakSum(b, 0, B);
    for (let i = 0; i + B < b.length; i++) {
      s1 = (s1 - b[i]! + b[i + B]!) & 0xffff;
      s2 = (s2 - B * b[i]! + s1) & 0xffff;
      expect({ s1, s2 }).toEqual(weakSum(b, i + 1, B));
    }
  });

  it('sends an insertion near the start as its bytes and about a block, not the file', () => {
    const old = crypto.randomBytes(4 << 20);
    const data = Buffer.concat([
      old.subarray(0, 5000),
      crypto.randomBytes(100),
      old.subarray(5000),
    ]);
    const { d, back, block } = roundTrip(old, data);
    expect(back.equals(data)).toBe(true);
    expect(d.literals.length).toBeLessThanOrEqual(100 + 2 * block);
    expect(d.ops.length).toBeLessThanOrEqual(8); // literal, one run of copies, a tail
  });

  it('picks blocks of about the square root of the size', () => {
    expect(blockSizeFor(256 << 20)).toBe(16384);
    expect(blockSizeFor(1000)).toBe(2048);
    expect(blockSizeFor(2 ** 40)).toBe(128 * 1024);
  });

  it(`rebuilds every edit of every file exactly (seed ${SEED})`, () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40_000 }),
        fc.array(byteEdit(3000), { maxLength: 5 }),
        fc.constantFrom(8, 64, 2048),
        (oldBytes, edits, block) => {
          const old = Buffer.from(oldBytes);
          const data = applyEdits(old, edits);
          const { back } = roundTrip(old, data, block);
          expect(back.equals(data)).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('refuses a delta that does not add up', () => {
    expect(() => applyDelta({ ops: [-1, 10], literals: Buffer.alloc(5) }, 8, 10, () => {})).toThrow(
      /too long/,
    );
    expect(() => applyDelta({ ops: [0, 2], literals: Buffer.alloc(0) }, 8, 8, () => {})).toThrow(
      /too long/,
    );
    expect(() => decodeSignature(Buffer.alloc(9), 0)).toThrow(/wrong length/);
  });
});
