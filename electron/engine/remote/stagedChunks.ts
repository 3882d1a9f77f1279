// The far side's store of chunks that came over the connection, in `.tandem/incoming/` on the
// target's own filesystem: each is checked against its id when it arrives and again when apply
// reads it, and stays until the apply that needed it has written it. A connection that drops
// halfway leaves the chunks that did arrive, so the next run sends only the rest (issue 12's
// "interrupted transfers resume"). A chunk torn by a crash fails its check and is asked for again.
import type { SchemeHasher } from '../core/hash/hashScheme.js';
import { chunkIdsOf, type IdTree } from '../core/scan/tree.js';
import { ItemError } from '../core/target/patchInPlace.js';
import type { SourceFile, SourceReader } from '../core/target/sourceReader.js';
import { NOT_TEXT } from '../core/scan/xattrs.js';
import { ensureStateDir, STATE_DIR } from '../core/target/stateFolder.js';
import { readAll, writeAll, type TargetFile, type TargetFs } from '../core/target/targetFs.js';

export const INCOMING_DIR = `${STATE_DIR}/incoming`;

/** A record's head in a pack: the chunk's id, then its length (u32, big-endian). */
const LENGTH_BYTES = 4;

/**
 * Chunks are appended to pack files (`incoming/pack-<pid>-<n>`), not kept a file each: creating
 * a file after each 256 KiB written took 1.1 ms here (ext4 under writeback), which was most of
 * a 256 MiB transfer's time on the far side. A pack is a run of records, [id, length, bytes];
 * the index of what is where is rebuilt from the packs' heads when a session first asks, and a
 * record torn by a crash ends its pack's scan (its bytes would fail their id anyway).
 */
export class StagedChunks {
  private index: Map<string, { rel: string; at: number; length: number }> | null = null;
  private readonly open = new Map<string, TargetFile>();
  private pack: { rel: string; f: TargetFile; size: number } | null = null;
  private seq = 0;

  constructor(
    private readonly t: TargetFs,
    private readonly hasher: SchemeHasher,
  ) {}

  private where(): Map<string, { rel: string; at: number; length: number }> {
    if (this.index) return this.index;
    const index = new Map<string, { rel: string; at: number; length: number }>();
    const ib = this.hasher.idBytes;
    const head = Buffer.alloc(ib + LENGTH_BYTES);
    if (this.t.lstat(INCOMING_DIR)?.type === 'dir')
      for (const name of this.t.readdir(INCOMING_DIR)) {
        const rel = `${INCOMING_DIR}/${name}`;
        const st = this.t.lstat(rel);
        if (!name.startsWith('pack-') || st?.type !== 'file') continue;
        const f = this.file(rel);
        for (let at = 0; at + head.length <= st.size;) {
          if (readAll(f, head, head.length, at) !== head.length) break;
          const length = head.readUInt32BE(ib);
          if (at + head.length + length > st.size) break;
          index.set(head.toString('hex', 0, ib), { rel, at: at + head.length, length });
          at += head.length + length;
        }
      }
    return (this.index = index);
  }

  private file(rel: string): TargetFile {
    let f = this.open.get(rel);
    if (!f) {
      f = this.t.openRead(rel);
      this.open.set(rel, f);
    }
    return f;
  }

  /** Chunk `id` of `len` bytes, read into `buf` and checked; null where it is not staged (whole). */
  read(id: Buffer, len: number, buf: Buffer): Buffer | null {
    const w = this.where().get(id.toString('hex'));
    if (!w || w.length !== len) return null;
    const b = buf.length >= len ? buf.subarray(0, len) : Buffer.allocUnsafe(len);
    if (readAll(this.file(w.rel), b, len, w.at) !== len || !this.hasher.hash(b).equals(id))
      return null;
    return b;
  }

  has(id: Buffer, len: number): boolean {
    return this.read(id, len, Buffer.allocUnsafe(len)) !== null;
  }

  /** Keeps `bytes` as chunk `id`; refuses bytes whose id is another (a torn or forged chunk). */
  put(id: Buffer, bytes: Buffer): void {
    if (!this.hasher.hash(bytes).equals(id))
      throw new Error(`chunk ${id.toString('hex')} arrived with other bytes than its id says`);
    const index = this.where();
    const hex = id.toString('hex');
    if (index.get(hex)?.length === bytes.length && this.read(id, bytes.length, Buffer.alloc(0)))
      return;
    if (!this.pack) {
      ensureStateDir(this.t, INCOMING_DIR, true);
      let rel: string;
      // A pack of this name left by a killed server of the same pid (this one holds the lock).
      do rel = `${INCOMING_DIR}/pack-${process.pid}-${this.seq++}`;
      while (this.t.lstat(rel));
      this.pack = { rel, f: this.t.create(rel, 0o600, true), size: 0 };
      this.open.set(rel, this.pack.f);
    }
    const p = this.pack;
    const head = Buffer.alloc(id.length + LENGTH_BYTES);
    id.copy(head, 0);
    head.writeUInt32BE(bytes.length, id.length);
    writeAll(p.f, head, p.size);
    writeAll(p.f, bytes, p.size + head.length);
    index.set(hex, { rel: p.rel, at: p.size + head.length, length: bytes.length });
    p.size += head.length + bytes.length;
  }

  /** Closes the packs (what they hold stays for the next run). */
  close(): void {
    for (const f of this.open.values()) f.close();
    this.open.clear();
    this.pack = null;
  }

  /** Drops every staged chunk (after an apply that wrote all it was sent for). */
  clear(): void {
    this.close();
    this.index = new Map();
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
    /** the source entries' synced attributes, as they came with the plan (-X, -A) */
    private readonly attrs: ReadonlyMap<string, [string, Buffer][] | null> = new Map(),
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

  /** As they came; apply checks them against the attribute id the plan saw. */
  xattrs(rel: string): [string, Buffer][] | typeof NOT_TEXT {
    const a = this.attrs.get(rel);
    if (a === undefined)
      throw new ItemError(
        'its extended attributes did not arrive from the source (the connection may have dropped); run again',
      );
    return a ?? NOT_TEXT;
  }
}
