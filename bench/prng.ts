// Seeded randomness for the benchmark: a small integer PRNG for choices (sizes, offsets, folders)
// and an AES-128-CTR keystream for bulk, incompressible file content. Same seed, same bytes.
import { createCipheriv, createHash, type Cipher } from 'node:crypto';

/** sfc32 seeded from SHA-256 of a string: fast, deterministic, good enough for picking sizes. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const h = createHash('sha256').update(seed).digest();
    this.a = h.readUInt32LE(0);
    this.b = h.readUInt32LE(4);
    this.c = h.readUInt32LE(8);
    this.d = h.readUInt32LE(12);
    for (let i = 0; i < 12; i++) this.nextU32();
  }

  nextU32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** `k` distinct integers from [0, n), in the order drawn. */
  sample(n: number, k: number): number[] {
    if (k > n) throw new RangeError(`cannot draw ${k} distinct values from ${n}`);
    const seen = new Set<number>();
    const out: number[] = [];
    while (out.length < k) {
      const v = this.int(0, n - 1);
      if (!seen.has(v)) {
        seen.add(v);
        out.push(v);
      }
    }
    return out;
  }
}

const ZEROS = Buffer.alloc(8 * 1024 * 1024);

/** An endless deterministic byte stream: AES-128-CTR over zeros, keyed by SHA-256(seed). */
export class ByteStream {
  private readonly cipher: Cipher;

  constructor(seed: string) {
    const h = createHash('sha256').update(`bytes:${seed}`).digest();
    this.cipher = createCipheriv('aes-128-ctr', h.subarray(0, 16), h.subarray(16, 32));
  }

  /** The next `n` bytes of the stream (n ≤ 8 MiB per call). */
  next(n: number): Buffer {
    if (n > ZEROS.length) throw new RangeError(`ByteStream.next: ${n} > ${ZEROS.length}`);
    return this.cipher.update(ZEROS.subarray(0, n));
  }
}

/** `n` deterministic random bytes for `seed` (n ≤ 8 MiB). */
export function seededBytes(seed: string, n: number): Buffer {
  return new ByteStream(seed).next(n);
}
