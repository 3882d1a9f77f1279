// Chunk hashing of one file (or a range of its chunks), streaming through one reusable buffer,
// with a check that the file did not change while it was read. Runs in hash workers or inline.
import fs from 'node:fs';
import type { SchemeHasher } from './hashScheme.js';
import { osPath } from '../runtime/byteNames.js';

/** The stat fields an identifier is trusted by (DESIGN invariant 5). */
export interface StatKey {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

export function statKey(st: StatKey): StatKey {
  return { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

export function sameStat(a: StatKey, b: StatKey): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

export interface ChunkRangeTask {
  path: string;
  chunkSize: number;
  /** first chunk index */
  first: number;
  /** number of chunks to hash; -1 = to the end of the file */
  count: number;
  /** the stat the walk saw; the file must still match it */
  expect: StatKey;
}

export type ChunkRangeResult =
  | { ok: true; chunkIds: Buffer; stat: StatKey }
  | { ok: false; changed: boolean; code: string; message: string };

/** Reads exactly `len` bytes at `pos` unless the file ends first; returns the count read. */
export function readFully(fd: number, buf: Buffer, len: number, pos: number): number {
  let done = 0;
  while (done < len) {
    const n = fs.readSync(fd, buf, done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export class BufferCache {
  private buf: Buffer = Buffer.alloc(0);
  get(size: number): Buffer {
    if (this.buf.length < size) this.buf = Buffer.allocUnsafe(size);
    return this.buf;
  }
}

/** Hashes a range of a file's chunks. Never throws: errors come back as data. */
export function hashChunkRange(
  task: ChunkRangeTask,
  h: SchemeHasher,
  cache: BufferCache,
): ChunkRangeResult {
  let fd: number;
  try {
    fd = fs.openSync(osPath(task.path), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return {
      ok: false,
      changed: err.code === 'ENOENT' || err.code === 'ELOOP',
      code: err.code ?? 'EIO',
      message: err.message,
    };
  }
  try {
    const before = statKey(fs.fstatSync(fd));
    if (!sameStat(before, task.expect)) {
      return { ok: false, changed: true, code: 'CHANGED', message: 'changed since it was listed' };
    }
    const total = Math.ceil(before.size / task.chunkSize);
    const last = task.count < 0 ? total : Math.min(total, task.first + task.count);
    const n = Math.max(0, last - task.first);
    // Its own ArrayBuffer (not Node's shared pool), so a worker can transfer it.
    const ids = Buffer.from(new ArrayBuffer(n * h.idBytes));
    const buf = cache.get(task.chunkSize);
    for (let i = 0; i < n; i++) {
      const pos = (task.first + i) * task.chunkSize;
      const want = Math.min(task.chunkSize, before.size - pos);
      const got = readFully(fd, buf, want, pos);
      if (got !== want)
        return { ok: false, changed: true, code: 'CHANGED', message: 'shrank while it was read' };
      h.hash(buf.subarray(0, got)).copy(ids, i * h.idBytes);
    }
    const after = statKey(fs.fstatSync(fd));
    if (!sameStat(before, after)) {
      return { ok: false, changed: true, code: 'CHANGED', message: 'changed while it was read' };
    }
    return { ok: true, chunkIds: ids, stat: before };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { ok: false, changed: false, code: err.code ?? 'EIO', message: err.message };
  } finally {
    fs.closeSync(fd);
  }
}
