// Content-defined chunking (FastCDC: Xia et al., "FastCDC: a Fast and Efficient Content-Defined
// Chunking Approach for Data Deduplication", USENIX ATC 2016) for the files of a remote pair whose
// content moved. A cut falls where a rolling gear hash of the last 32 bytes has its mask bits
// zero, so it depends on the bytes around it and not on their offset: after an insertion, every
// chunk but the one or two around it is cut where it was, and has the id it had.
//
// Used by the delta of a moved file (`--chunking cdc`, the default for remote pairs): the
// receiving side's signature of its old file is the list of its content-defined chunks (length
// and a cut id each); the sending side cuts its new bytes the same way and sends "copy old bytes
// [offset, length]" for every chunk the old file has, the bytes of the rest. The receiver rebuilds
// its fixed-size chunks from that and checks each against its full id, as for the rsync delta.
//
// Both sides must cut alike: the gear table (splitmix32 from a fixed seed), the masks (the top
// bits of the 32-bit hash, which mix the most bytes) and the size rule are part of the protocol.
// Sizes: a power-of-two average chosen per file by the receiver (`cdcParamsFor`), minimum a
// quarter of it, maximum four times it, and FastCDC's normalised chunking at level 2 (a mask of
// two more bits before the average, two fewer after), which narrows the spread of sizes.
import type { SchemeHasher } from '../core/hash/hashScheme.js';

export { CHUNKINGS, type Chunking } from './chunking.js';

/** Bytes of a chunk's id kept in a signature (a false match is caught by the chunk id). */
export const CDC_ID_BYTES = 8;

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const GEAR = (() => {
  const next = splitmix32(0x7a6e6463); // "tndc"
  const g = new Int32Array(256);
  for (let i = 0; i < 256; i++) g[i] = next() | 0;
  return g;
})();

export interface CdcParams {
  /** log2 of the average chunk size */
  bits: number;
  min: number;
  avg: number;
  max: number;
  /** the mask before the average (bits + 2 of them) and after it (bits - 2) */
  maskS: number;
  maskL: number;
}

const topBits = (n: number): number => (n <= 0 ? 0 : (~0 << (32 - n)) | 0);

export const CDC_MIN_BITS = 13;
export const CDC_MAX_BITS = 20;

export function cdcParams(bits: number): CdcParams {
  if (!Number.isInteger(bits) || bits < CDC_MIN_BITS || bits > CDC_MAX_BITS)
    throw new Error(`a chunk size of 2^${bits} bytes is out of range`);
  const avg = 2 ** bits;
  return {
    bits,
    min: avg / 4,
    avg,
    max: avg * 4,
    maskS: topBits(bits + 2),
    maskL: topBits(bits - 2),
  };
}

/**
 * The average chunk size for a file of `size` bytes. A signature costs 12 bytes a chunk and an
 * insertion costs about one and a half chunks of bytes, so the sum is least near
 * sqrt(12 · size / 1.5) = sqrt(8 · size): 46 KiB for 256 MiB, 92 KiB for 1 GiB (the rsync rule,
 * a block of about the square root of the size, for the same reason). Rounded to a power of two,
 * within 8 KiB–1 MiB (the measurements are in docs/ARCHITECTURE.md).
 */
export function cdcParamsFor(size: number): CdcParams {
  const ideal = Math.log2(Math.sqrt(8 * Math.max(1, size)));
  return cdcParams(Math.min(CDC_MAX_BITS, Math.max(CDC_MIN_BITS, Math.round(ideal))));
}

/** The end of the chunk that starts at `start`, of the `end - start` bytes at hand (all there are). */
export function cutAt(buf: Uint8Array, start: number, end: number, p: CdcParams): number {
  const n = end - start;
  if (n <= p.min) return end;
  const mid = start + Math.min(p.avg, n);
  const lim = start + Math.min(p.max, n);
  const { maskS, maskL } = p;
  let h = 0;
  let i = start + p.min;
  for (; i < mid; i++) {
    h = ((h << 1) + GEAR[buf[i]!]!) | 0;
    if ((h & maskS) === 0) return i + 1;
  }
  for (; i < lim; i++) {
    h = ((h << 1) + GEAR[buf[i]!]!) | 0;
    if ((h & maskL) === 0) return i + 1;
  }
  return lim;
}

/**
 * Cuts a stream of bytes fed in pieces of any size. `push` returns the chunks completed so far
 * (each a view of the bytes, valid until the next call), `end` the last one.
 */
export class CdcCutter {
  private buf: Buffer = Buffer.alloc(0);
  private held = 0;
  /** the stream offset of buf[0] */
  private base = 0;
  /** bytes at the start of buf already returned as chunks */
  private done = 0;

  constructor(readonly params: CdcParams) {}

  push(bytes: Uint8Array): { offset: number; bytes: Buffer }[] {
    this.append(bytes);
    return this.cut(false);
  }

  end(): { offset: number; bytes: Buffer }[] {
    return this.cut(true);
  }

  private append(bytes: Uint8Array): void {
    // The bytes cut off by the last call go now (the chunks it returned were views of them).
    if (this.done > 0) {
      this.buf.copy(this.buf, 0, this.done, this.held);
      this.held -= this.done;
      this.base += this.done;
      this.done = 0;
    }
    if (this.held + bytes.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.held + bytes.length, this.params.max * 2));
      this.buf.copy(grown, 0, 0, this.held);
      this.buf = grown;
    }
    this.buf.set(bytes, this.held);
    this.held += bytes.length;
  }

  private cut(eof: boolean): { offset: number; bytes: Buffer }[] {
    const out: { offset: number; bytes: Buffer }[] = [];
    let at = this.done;
    // A cut is final only with a whole maximum chunk at hand (or at the end of the stream).
    while (at < this.held && (eof || this.held - at >= this.params.max)) {
      const to = cutAt(this.buf, at, this.held, this.params);
      out.push({ offset: this.base + at, bytes: this.buf.subarray(at, to) });
      at = to;
    }
    this.done = at;
    return out;
  }
}

/** A file's content-defined chunks: their lengths in order, and a cut id of each. */
export interface CdcSignature {
  bits: number;
  size: number;
  lengths: Uint32Array;
  /** CDC_ID_BYTES of each chunk's id, in order */
  ids: Buffer;
}

const cutId = (hasher: SchemeHasher, b: Uint8Array): Buffer =>
  hasher.hash(b).subarray(0, CDC_ID_BYTES);

/**
 * The signature of a file of `size` bytes read through `read(offset, into)` (which fills `into`
 * or throws), cut with `params`.
 */
export function cdcSignatureOf(
  size: number,
  read: (offset: number, into: Buffer) => void,
  hasher: SchemeHasher,
  params = cdcParamsFor(size),
): CdcSignature {
  const cutter = new CdcCutter(params);
  const lengths: number[] = [];
  const ids: Buffer[] = [];
  const take = (cs: { bytes: Buffer }[]) => {
    for (const c of cs) {
      lengths.push(c.bytes.length);
      ids.push(cutId(hasher, c.bytes));
    }
  };
  const block = Buffer.allocUnsafe(Math.max(4 * 1024 * 1024, params.max));
  for (let off = 0; off < size; off += block.length) {
    const piece = block.subarray(0, Math.min(block.length, size - off));
    read(off, piece);
    take(cutter.push(piece));
  }
  take(cutter.end());
  return { bits: params.bits, size, lengths: Uint32Array.from(lengths), ids: Buffer.concat(ids) };
}

/** On the wire: u8 bits, u32 count, then per chunk u32 length and its cut id. */
export function encodeCdcSignature(sig: CdcSignature): Buffer {
  const n = sig.lengths.length;
  const out = Buffer.alloc(5 + n * (4 + CDC_ID_BYTES));
  out.writeUInt8(sig.bits, 0);
  out.writeUInt32BE(n, 1);
  for (let k = 0; k < n; k++) {
    const at = 5 + k * (4 + CDC_ID_BYTES);
    out.writeUInt32BE(sig.lengths[k]!, at);
    sig.ids.copy(out, at + 4, k * CDC_ID_BYTES, (k + 1) * CDC_ID_BYTES);
  }
  return out;
}

export function decodeCdcSignature(b: Buffer): CdcSignature {
  if (b.length < 5) throw new Error('a chunk signature cut short');
  const bits = b.readUInt8(0);
  cdcParams(bits); // in range, or throws
  const n = b.readUInt32BE(1);
  if (b.length !== 5 + n * (4 + CDC_ID_BYTES))
    throw new Error('a chunk signature of the wrong length');
  const lengths = new Uint32Array(n);
  const ids = Buffer.alloc(n * CDC_ID_BYTES);
  let size = 0;
  for (let k = 0; k < n; k++) {
    const at = 5 + k * (4 + CDC_ID_BYTES);
    lengths[k] = b.readUInt32BE(at);
    size += lengths[k]!;
    b.copy(ids, k * CDC_ID_BYTES, at + 4, at + 4 + CDC_ID_BYTES);
  }
  return { bits, size, lengths, ids };
}

/** A piece of the new bytes at `at`: a copy of the old file's bytes at `old`, or literal `bytes`. */
export type Segment =
  | { at: number; length: number; old: number; bytes?: undefined }
  | { at: number; length: number; old?: undefined; bytes: Buffer };

/**
 * Encodes a stream of new bytes against an old file's signature: feed it the bytes (`push`,
 * pieces of any size, from stream offset 0), then `end`; each call returns the segments of the
 * chunks cut so far, one a chunk, in order.
 */
export class CdcEncoder {
  private readonly cutter: CdcCutter;
  private readonly where = new Map<string, number>();

  constructor(
    sig: CdcSignature,
    private readonly hasher: SchemeHasher,
  ) {
    this.cutter = new CdcCutter(cdcParams(sig.bits));
    let off = 0;
    for (let k = 0; k < sig.lengths.length; k++) {
      const id = sig.ids.toString('hex', k * CDC_ID_BYTES, (k + 1) * CDC_ID_BYTES);
      const key = `${sig.lengths[k]}:${id}`;
      if (!this.where.has(key)) this.where.set(key, off);
      off += sig.lengths[k]!;
    }
  }

  push(bytes: Uint8Array): Segment[] {
    return this.take(this.cutter.push(bytes));
  }

  end(): Segment[] {
    return this.take(this.cutter.end());
  }

  private take(chunks: { offset: number; bytes: Buffer }[]): Segment[] {
    return chunks.map((c): Segment => {
      const key = `${c.bytes.length}:${cutId(this.hasher, c.bytes).toString('hex')}`;
      const old = this.where.get(key);
      return old !== undefined
        ? { at: c.offset, length: c.bytes.length, old }
        : { at: c.offset, length: c.bytes.length, bytes: Buffer.from(c.bytes) };
    });
  }
}

/**
 * The part of `segments` (in order, contiguous) that covers [from, to), as delta ops in bytes:
 * [offset, length] copies the old file's bytes at offset, [-1, length] takes the next `length`
 * literal bytes; consecutive copies of consecutive old bytes are one op.
 */
export function opsOf(
  segments: readonly Segment[],
  from: number,
  to: number,
): { ops: number[]; literals: Buffer } {
  const ops: number[] = [];
  const lits: Buffer[] = [];
  for (const s of segments) {
    const a = Math.max(from, s.at);
    const b = Math.min(to, s.at + s.length);
    if (b <= a) continue;
    const last = ops.length - 2;
    if (s.old !== undefined) {
      const old = s.old + (a - s.at);
      if (last >= 0 && ops[last] !== -1 && ops[last]! + ops[last + 1]! === old)
        ops[last + 1]! += b - a;
      else ops.push(old, b - a);
    } else {
      if (last >= 0 && ops[last] === -1) ops[last + 1]! += b - a;
      else ops.push(-1, b - a);
      lits.push(s.bytes.subarray(a - s.at, b - s.at));
    }
  }
  return { ops, literals: Buffer.concat(lits) };
}

/**
 * The deltas of runs of a file's fixed-size chunks, asked for in order: consecutive runs share one
 * content-defined cut of the bytes from the first of them (a cut restarted at each run would cost
 * a chunk of bytes at every run's start), so a run is answered once the cut has passed its end,
 * reading ahead of it by up to a maximum chunk. `chunk(i)` gives the bytes of chunk i (checked).
 */
export class CdcRuns {
  private enc: CdcEncoder | null = null;
  private segs: Segment[] = [];
  /** the next chunk to feed, the file offset of the stream's start, the end of the cut so far */
  private next = 0;
  private origin = 0;
  private decided = 0;
  private ended = false;
  /** the chunk after the last run answered */
  private after = -1;

  constructor(
    readonly sig: CdcSignature,
    private readonly hasher: SchemeHasher,
    private readonly chunkSize: number,
    private readonly size: number,
    private readonly chunk: (i: number) => Uint8Array,
  ) {}

  run(first: number, count: number): { ops: number[]; literals: Buffer } {
    const cs = this.chunkSize;
    const from = first * cs;
    const to = Math.min(this.size, (first + count) * cs);
    if (!Number.isInteger(first) || count < 1 || from >= to)
      throw new Error('a run outside the file');
    if (first !== this.after || !this.enc) {
      this.enc = new CdcEncoder(this.sig, this.hasher);
      this.segs = [];
      this.next = first;
      this.origin = from;
      this.decided = from;
      this.ended = false;
    }
    const total = Math.ceil(this.size / cs);
    while (this.decided < to && !this.ended) {
      let got: Segment[];
      if (this.next < total) got = this.enc.push(this.chunk(this.next++));
      else {
        got = this.enc.end();
        this.ended = true;
      }
      for (const s of got) {
        s.at += this.origin;
        this.segs.push(s);
        this.decided = s.at + s.length;
      }
    }
    const d = opsOf(this.segs, from, to);
    let keep = 0;
    while (keep < this.segs.length && this.segs[keep]!.at + this.segs[keep]!.length <= to) keep++;
    this.segs = this.segs.slice(keep);
    this.after = first + count;
    return d;
  }
}
