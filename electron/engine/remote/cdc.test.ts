// Content-defined chunks of a remote pair's moved files: cuts that follow the content (an insertion
// moves one or two of them, not the rest), bytes rebuilt exactly from any edit and any split into
// runs, and a cut that both sides compute alike (pinned, since it is part of the protocol).
import crypto from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createSchemeHasher, type SchemeHasher } from '../core/hash/hashScheme.js';
import { applyEdits, byteEdit } from '../../testing/byteEdits.js';
import {
  CdcCutter,
  CdcRuns,
  cdcParams,
  cdcParamsFor,
  cdcSignatureOf,
  cutAt,
  decodeCdcSignature,
  encodeCdcSignature,
  type CdcParams,
} from './cdc.js';
import { applyDelta } from './delta.js';

let hasher: SchemeHasher;
beforeAll(async () => {
  hasher = await createSchemeHasher('xxh128');
});

const SEED = Number(process.env.TANDEM_PROPERTY_SEED ?? Date.now() % 2 ** 31);

/** Bytes from a fixed linear congruential sequence: the same on every machine. */
function lcgBytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function cuts(b: Buffer, p: CdcParams): number[] {
  const ends: number[] = [];
  for (let at = 0; at < b.length;) ends.push((at = cutAt(b, at, b.length, p)));
  return ends;
}

const sigOf = (old: Buffer, p?: CdcParams) =>
  cdcSignatureOf(old.length, (o, into) => old.copy(into, 0, o, o + into.length), hasher, p);

/** `data` sent against `old` as runs of `cs`-byte chunks split at `splits`, and rebuilt. */
function roundTrip(old: Buffer, data: Buffer, cs: number, runs: number[][], p?: CdcParams) {
  const sig = decodeCdcSignature(encodeCdcSignature(sigOf(old, p)));
  const cdc = new CdcRuns(sig, hasher, cs, data.length, (i) =>
    data.subarray(i * cs, Math.min(data.length, (i + 1) * cs)),
  );
  let literal = 0;
  const parts = runs.map(([first, count]) => {
    const d = cdc.run(first!, count!);
    literal += d.literals.length;
    const len = Math.min(data.length, (first! + count!) * cs) - first! * cs;
    return applyDelta(d, 1, len, (o, into) => {
      if (o < 0 || o + into.length > old.length) throw new Error('out of the old file');
      old.copy(into, 0, o, o + into.length);
    });
  });
  return { back: Buffer.concat(parts), literal, sig };
}

/** Runs of consecutive chunks covering all `total` chunks, cut where `at` says. */
function runsOf(total: number, at: number[]): number[][] {
  const marks = [...new Set(at.map((a) => (a % total) + 1).filter((a) => a < total))].sort(
    (a, b) => a - b,
  );
  const runs: number[][] = [];
  let from = 0;
  for (const m of [...marks, total]) {
    runs.push([from, m - from]);
    from = m;
  }
  return runs;
}

describe('content-defined chunks', () => {
  it('cuts the same bytes at the same places on every machine (the protocol pins them)', () => {
    const b = lcgBytes(200_000);
    expect(cuts(b, cdcParams(13))).toEqual([
      6223, 8558, 16990, 25571, 35708, 49030, 59568, 70338, 82135, 90501, 102239, 113834, 124174,
      131636, 140725, 145626, 155933, 168850, 178154, 185551, 194092, 200000,
    ]);
  });

  it('keeps every chunk within its minimum and maximum, the last one aside', () => {
    const p = cdcParams(13);
    const b = crypto.randomBytes(2 << 20);
    const ends = cuts(b, p);
    const lens = ends.map((e, k) => e - (k ? ends[k - 1]! : 0));
    for (const l of lens.slice(0, -1)) {
      expect(l).toBeGreaterThanOrEqual(p.min);
      expect(l).toBeLessThanOrEqual(p.max);
    }
    const mean = b.length / lens.length;
    expect(mean).toBeGreaterThan(p.avg * 0.7);
    expect(mean).toBeLessThan(p.avg * 1.6);
  });

  it('cuts a stream fed in pieces of any size as it cuts the whole', () => {
    const p = cdcParams(13);
    const b = crypto.randomBytes(300_000);
    const whole = cuts(b, p);
    const cutter = new CdcCutter(p);
    const ends: number[] = [];
    const take = (cs: { offset: number; bytes: Buffer }[]) =>
      cs.forEach((c) => ends.push(c.offset + c.bytes.length));
    for (let at = 0; at < b.length;) {
      const n = 1 + crypto.randomInt(70_000);
      take(cutter.push(b.subarray(at, at + n)));
      at += n;
    }
    take(cutter.end());
    expect(ends).toEqual(whole);
  });

  it('sends an insertion near the start of 4 MiB as about one chunk, not the rest of the file', () => {
    const old = crypto.randomBytes(4 << 20);
    const data = Buffer.concat([
      old.subarray(0, 5000),
      crypto.randomBytes(100),
      old.subarray(5000),
    ]);
    const cs = 128 * 1024;
    const total = Math.ceil(data.length / cs);
    const p = cdcParamsFor(old.length);
    const { back, literal } = roundTrip(old, data, cs, runsOf(total, [3, 17]), p);
    expect(back.equals(data)).toBe(true);
    expect(literal).toBeLessThanOrEqual(100 + 2 * p.max);
  });

  it('picks an average chunk of about the square root of eight times the size', () => {
    expect(cdcParamsFor(256 << 20).avg).toBe(64 * 1024);
    expect(cdcParamsFor(1 << 30).avg).toBe(128 * 1024);
    expect(cdcParamsFor(1000).avg).toBe(8 * 1024);
    expect(cdcParamsFor(2 ** 50).avg).toBe(1024 * 1024);
  });

  it(`rebuilds every edit of every file exactly, however the chunks are split into runs (seed ${SEED})`, () => {
    const p = cdcParams(13);
    fc.assert(
      fc.property(
        fc.nat({ max: 150_000 }),
        fc.array(byteEdit(20_000), { maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom(4096, 16_384, 65_536),
        fc.integer(),
        (size, edits, splits, cs, seed) => {
          const old = lcgBytes(size, seed);
          const data = applyEdits(old, edits);
          if (data.length === 0) return;
          const total = Math.ceil(data.length / cs);
          const { back } = roundTrip(old, data, cs, runsOf(total, splits), p);
          expect(back.equals(data)).toBe(true);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('answers runs with gaps between them, each from its own cut', () => {
    const old = crypto.randomBytes(1 << 20);
    const data = Buffer.from(old);
    data.fill(1, 100_000, 100_010);
    data.fill(2, 900_000, 900_010);
    const cs = 64 * 1024;
    const sig = sigOf(old, cdcParams(13));
    const runs = new CdcRuns(sig, hasher, cs, data.length, (i) =>
      data.subarray(i * cs, Math.min(data.length, (i + 1) * cs)),
    );
    for (const first of [1, 13]) {
      const d = runs.run(first, 1);
      const back = applyDelta(d, 1, cs, (o, into) => old.copy(into, 0, o, o + into.length));
      expect(back.equals(data.subarray(first * cs, (first + 1) * cs))).toBe(true);
    }
    expect(() => runs.run(99, 1)).toThrow(/outside the file/);
  });

  it('refuses a signature that does not add up', () => {
    expect(() => decodeCdcSignature(Buffer.alloc(3))).toThrow(/cut short/);
    const good = encodeCdcSignature(sigOf(crypto.randomBytes(50_000), cdcParams(13)));
    expect(() => decodeCdcSignature(good.subarray(0, good.length - 1))).toThrow(/wrong length/);
    const badBits = Buffer.from(good);
    badBits[0] = 40;
    expect(() => decodeCdcSignature(badBits)).toThrow(/out of range/);
  });
});
