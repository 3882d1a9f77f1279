// The rsync algorithm for the chunks of a file whose content moved (bytes inserted or removed
// before them): fixed-size chunks all differ after the first shift, and so do their pages, but
// most of their bytes are still in the far side's old file, only elsewhere. The far side sends a
// signature of its old file (per block: a rolling weak sum and a cut strong id); this side rolls
// the weak sum over its new bytes, and where a block matches it sends "copy old block k" instead
// of the bytes (Tridgell & Mackerras, "The rsync algorithm", 1996). The far side rebuilds the
// chunks and checks each against its full chunk id, so a false match costs a resend, never a
// wrong byte.
import type { SchemeHasher } from '../core/hash/hashScheme.js';

/** Bytes of the strong id kept per block (a collision is caught by the chunk id). */
export const STRONG_BYTES = 4;

/** rsync's rule: about the square root of the file's size, a multiple of 8, within 2–128 KiB. */
export function blockSizeFor(size: number): number {
  const b = Math.ceil(Math.sqrt(size) / 8) * 8;
  return Math.min(128 * 1024, Math.max(2048, b));
}

/** rsync's weak sum of `len` bytes at `from`: s1 (the sum) and s2 (the weighted sum), 16 bits each. */
export function weakSum(buf: Uint8Array, from: number, len: number): { s1: number; s2: number } {
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < len; i++) {
    s1 += buf[from + i]!;
    s2 += s1;
  }
  return { s1: s1 & 0xffff, s2: s2 & 0xffff };
}

const weakOf = (s1: number, s2: number): number => ((s2 << 16) | s1) >>> 0;

export interface Signature {
  block: number;
  /** the old file's size */
  size: number;
  /** weak sums of the whole blocks, in order */
  weak: Uint32Array;
  /** STRONG_BYTES of each whole block's id, in order */
  strong: Buffer;
}

/** The signature of a file read block by block through `read(offset, length)`. */
export function signatureOf(
  size: number,
  read: (offset: number, length: number) => Buffer,
  hasher: SchemeHasher,
  block = blockSizeFor(size),
): Signature {
  const n = Math.floor(size / block);
  const weak = new Uint32Array(n);
  const strong = Buffer.alloc(n * STRONG_BYTES);
  for (let k = 0; k < n; k++) {
    const b = read(k * block, block);
    const { s1, s2 } = weakSum(b, 0, block);
    weak[k] = weakOf(s1, s2);
    hasher.hash(b).copy(strong, k * STRONG_BYTES, 0, STRONG_BYTES);
  }
  return { block, size, weak, strong };
}

/** A signature as bytes on the wire: u32 block, u32 count, the weak sums, the strong ids. */
export function encodeSignature(sig: Signature): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(sig.block, 0);
  head.writeUInt32BE(sig.weak.length, 4);
  const weak = Buffer.alloc(sig.weak.length * 4);
  sig.weak.forEach((w, k) => weak.writeUInt32BE(w, k * 4));
  return Buffer.concat([head, weak, sig.strong]);
}

export function decodeSignature(b: Buffer, size: number): Signature {
  if (b.length < 8) throw new Error('a signature cut short');
  const block = b.readUInt32BE(0);
  const n = b.readUInt32BE(4);
  if (block < 1 || b.length !== 8 + n * (4 + STRONG_BYTES))
    throw new Error('a signature of the wrong length');
  const weak = new Uint32Array(n);
  for (let k = 0; k < n; k++) weak[k] = b.readUInt32BE(8 + k * 4);
  return { block, size, weak, strong: Buffer.from(b.subarray(8 + n * 4)) };
}

/**
 * The delta of `data` against the old file: `ops` as pairs, [k, count] copy `count` old blocks
 * from block k, [-1, length] take `length` bytes of `literals` next.
 */
export interface Delta {
  ops: number[];
  literals: Buffer;
}

export function encodeDelta(data: Buffer, sig: Signature, hasher: SchemeHasher): Delta {
  const B = sig.block;
  const ops: number[] = [];
  const lits: Buffer[] = [];
  const n = sig.weak.length;
  // Most positions are ruled out by a 16-bit filter before the map is asked.
  const filter = new Uint8Array(65536);
  const byWeak = new Map<number, number[]>();
  for (let k = 0; k < n; k++) {
    const w = sig.weak[k]!;
    filter[w & 0xffff] = 1;
    const list = byWeak.get(w);
    if (list) list.push(k);
    else byWeak.set(w, [k]);
  }
  const literal = (from: number, to: number) => {
    if (to <= from) return;
    const last = ops.length - 2;
    if (last >= 0 && ops[last] === -1) ops[last + 1]! += to - from;
    else ops.push(-1, to - from);
    lits.push(data.subarray(from, to));
  };
  const copy = (k: number) => {
    const last = ops.length - 2;
    if (last >= 0 && ops[last] !== -1 && ops[last]! + ops[last + 1]! === k) ops[last + 1]!++;
    else ops.push(k, 1);
  };
  let litFrom = 0;
  let i = 0;
  let expect = -1;
  if (n > 0 && data.length >= B) {
    let { s1, s2 } = weakSum(data, 0, B);
    for (;;) {
      const w = weakOf(s1, s2);
      let match = -1;
      if (filter[w & 0xffff]) {
        const cands = byWeak.get(w);
        if (cands) {
          const strong = hasher.hash(data.subarray(i, i + B));
          const same = (k: number) =>
            strong.compare(
              sig.strong,
              k * STRONG_BYTES,
              (k + 1) * STRONG_BYTES,
              0,
              STRONG_BYTES,
            ) === 0;
          // The next old block first: a run of copies stays one op.
          if (expect >= 0 && cands.includes(expect) && same(expect)) match = expect;
          else match = cands.find(same) ?? -1;
        }
      }
      if (match >= 0) {
        literal(litFrom, i);
        copy(match);
        expect = match + 1;
        i += B;
        litFrom = i;
        if (i + B > data.length) break;
        ({ s1, s2 } = weakSum(data, i, B));
        continue;
      }
      if (i + B >= data.length) break;
      const out = data[i]!;
      const inn = data[i + B]!;
      s1 = (s1 - out + inn) & 0xffff;
      s2 = (s2 - B * out + s1) & 0xffff;
      i++;
    }
  }
  literal(litFrom, data.length);
  return { ops, literals: Buffer.concat(lits) };
}

/**
 * Rebuilds the bytes a delta describes. A copy op [k, count] takes `count` old blocks from block
 * k, read by `readOld(offset, into)` (which fills `into` or throws); a block of 1 makes the ops
 * byte offsets and lengths (the content-defined delta, cdc.ts).
 */
export function applyDelta(
  d: { ops: readonly number[]; literals: Buffer },
  block: number,
  length: number,
  readOld: (offset: number, into: Buffer) => void,
): Buffer {
  const out = Buffer.alloc(length);
  let at = 0;
  let lit = 0;
  for (let j = 0; j + 1 < d.ops.length; j += 2) {
    const a = d.ops[j]!;
    const b = d.ops[j + 1]!;
    if (!Number.isInteger(a) || !Number.isInteger(b) || b < 0 || a < -1)
      throw new Error('a bad delta');
    if (a === -1) {
      if (at + b > length || lit + b > d.literals.length) throw new Error('a delta too long');
      d.literals.copy(out, at, lit, lit + b);
      at += b;
      lit += b;
    } else {
      if (at + b * block > length) throw new Error('a delta too long');
      readOld(a * block, out.subarray(at, at + b * block));
      at += b * block;
    }
  }
  if (at !== length || lit !== d.literals.length) throw new Error('a delta of the wrong length');
  return out;
}
