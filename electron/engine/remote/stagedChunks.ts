// The far side's store of chunks that came over the connection, in `.tandem/incoming/` on the
// target's own filesystem: each is checked against its id when it arrives and again when apply
// reads it, and stays until the apply that needed it has written it. A connection that drops
// halfway leaves the chunks that did arrive, so the next run sends only the rest (issue 12's
// "interrupted transfers resume"). A chunk torn by a crash fails its check and is asked for again.
import type { SchemeHasher } from '../core/hash/hashScheme.js';
import { chunkIdsOf, type IdTree } from '../core/scan/tree.js';
import { ItemError } from '../core/target/patchInPlace.js';
import type { SourceFile, SourceReader } from '../core/target/sourceReader.js';
import { ensureStateDir, STATE_DIR } from '../core/target/stateFolder.js';
import { readAll, writeAll, type TargetFile, type TargetFs } from '../core/target/targetFs.js';

export const INCOMING_DIR = `${STATE_DIR}/incoming`;

export class StagedChunks {
  constructor(
    private readonly t: TargetFs,
    private readonly hasher: SchemeHasher,
  ) {}

  private rel(id: Buffer): string {
    return `${INCOMING_DIR}/${id.toString('hex')}`;
  }

  /** Chunk `id` of `len` bytes, read into `buf` and checked; null where it is not staged (whole). */
  read(id: Buffer, len: number, buf: Buffer): Buffer | null {
    const rel = this.rel(id);
    const st = this.t.lstat(rel);
    if (st?.type !== 'file' || st.size !== len) return null;
    const f = this.t.openRead(rel);
    try {
      const b = buf.length >= len ? buf.subarray(0, len) : Buffer.allocUnsafe(len);
      if (readAll(f, b, len, 0) !== len || !this.hasher.hash(b).equals(id)) return null;
      return b;
    } finally {
      f.close();
    }
  }

  has(id: Buffer, len: number): boolean {
    return this.read(id, len, Buffer.allocUnsafe(len)) !== null;
  }

  /** Keeps `bytes` as chunk `id`; refuses bytes whose id is another (a torn or forged chunk). */
  put(id: Buffer, bytes: Buffer): void {
    if (!this.hasher.hash(bytes).equals(id))
      throw new Error(`chunk ${id.toString('hex')} arrived with other bytes than its id says`);
    ensureStateDir(this.t, INCOMING_DIR, true);
    const rel = this.rel(id);
    const part = `${rel}.part`;
    // A `.part` already there was left by a server killed while writing it (this one holds the
    // pair's lock): create refuses an existing name, and every later run would fail on it.
    if (this.t.lstat(part)) this.t.unlink(part);
    const f = this.t.create(part, 0o600);
    try {
      writeAll(f, bytes, 0);
    } finally {
      f.close();
    }
    this.t.rename(part, rel);
  }

  /** Drops every staged chunk (after an apply that wrote all it was sent for). */
  clear(): void {
    if (!this.t.lstat(INCOMING_DIR)) return;
    for (const name of this.t.readdir(INCOMING_DIR)) this.t.unlink(`${INCOMING_DIR}/${name}`);
  }
}

/**
 * Chunk `i` of the file the target holds at `rel` now, where the target's scan says it has
 * chunk id `id` there (the unchanged chunks of an updated file): read and checked, else null.
 */
export function oldChunk(
  t: TargetFs,
  target: IdTree,
  hasher: SchemeHasher,
  rel: string,
  i: number,
  chunkSize: number,
  id: Buffer | null,
  buf: Buffer,
  open: () => TargetFile,
): Buffer | null {
  const n = target.nodes.get(rel);
  if (n?.type !== 'file' || n.chunkSize !== chunkSize) return null;
  const ib = hasher.idBytes;
  const ids = chunkIdsOf(target, rel);
  const have = ids.subarray(i * ib, (i + 1) * ib);
  if (have.length !== ib || (id && !have.equals(id))) return null;
  const len = Math.min(chunkSize, n.size - i * chunkSize);
  if (len <= 0) return null;
  const b = buf.length >= len ? buf.subarray(0, len) : Buffer.allocUnsafe(len);
  if (readAll(open(), b, len, i * chunkSize) !== len || !hasher.hash(b).equals(have)) return null;
  return b;
}

/**
 * The source as the far side of a remote pair has it: each chunk from the staged store, or from
 * the old file at the same path where it already holds that chunk there. Every chunk is checked
 * against the plan's id; one that is in neither place fails its item, which the next run retries.
 */
export class StagedSourceReader implements SourceReader {
  constructor(
    private readonly t: TargetFs,
    private readonly staged: StagedChunks,
    private readonly target: IdTree,
    private readonly hasher: SchemeHasher,
  ) {}

  open(rel: string, _seen: unknown, size: number, chunkSize: number, ids: Buffer): SourceFile {
    const ib = this.hasher.idBytes;
    let old: TargetFile | null = null;
    const openOld = () => (old ??= this.t.openRead(rel));
    return {
      chunk: (i, buf) => {
        const id = ids.subarray(i * ib, (i + 1) * ib);
        const len = Math.min(chunkSize, size - i * chunkSize);
        const got =
          this.staged.read(id, len, buf) ??
          oldChunk(this.t, this.target, this.hasher, rel, i, chunkSize, id, buf, openOld);
        if (!got)
          throw new ItemError(
            `chunk ${i} of it did not arrive from the source (the connection may have dropped); run again`,
          );
        return got;
      },
      checkUnchanged: () => undefined,
      close: () => old?.close(),
    };
  }

  xattrs(): never {
    throw new ItemError('extended attributes are not synced to a remote folder by this version');
  }
}
