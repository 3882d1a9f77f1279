// Seeded randomness for tests and benchmarks: the same seed gives the same tree and bytes.
// No vitest import: engine code and benchmarks may use it too.
import crypto from 'node:crypto';
import fs from 'node:fs';
export interface Rng {
  /** in [0, 1) */
  next(): number;
  /** an integer in [0, n) */
  int(n: number): number;
  /** k distinct integers from [0, n), sorted */
  sample(n: number, k: number): number[];
  bytes(length: number): Buffer;
}

export function createRng(seed: string | number): Rng {
  let a = crypto.createHash('sha256').update(String(seed)).digest().readUInt32LE(0);
  let byteSeed = 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    sample(n, k) {
      if (k > n) throw new Error(`cannot pick ${k} of ${n}`);
      const picked = new Set<number>();
      while (picked.size < k) picked.add(rng.int(n));
      return [...picked].sort((x, y) => x - y);
    },
    bytes: (length) => seededBytes(`${seed}/${byteSeed++}`, length),
  };
  return rng;
}

function keystream(seed: string): crypto.Cipher {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

/** `length` pseudo-random bytes, the same for the same seed. */
export function seededBytes(seed: string, length: number): Buffer {
  return keystream(seed).update(Buffer.alloc(length));
}

/** Writes `size` seeded pseudo-random bytes to `p` in blocks (large files without large buffers). */
export function writeSeededFile(p: string, size: number, seed: string): void {
  const ks = keystream(seed);
  const block = Buffer.alloc(Math.min(size, 8 << 20));
  const fd = fs.openSync(p, 'w');
  try {
    for (let pos = 0; pos < size; pos += block.length) {
      const n = Math.min(block.length, size - pos);
      const data = ks.update(block.subarray(0, n));
      fs.writeSync(fd, data, 0, n, pos);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Overwrites bytes of a file at `pos` without changing anything else. */
export function patchFile(p: string, pos: number, data: Buffer): void {
  const fd = fs.openSync(p, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, pos);
  } finally {
    fs.closeSync(fd);
  }
}
