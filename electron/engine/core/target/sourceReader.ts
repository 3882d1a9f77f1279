// Where apply gets the source's bytes: the one seam between "what the plan says to write" and
// "where those bytes come from". A local pair reads the source folder itself (LocalSourceReader);
// the far side of a remote pair reads chunks that arrived over the connection and were verified
// there, or that its own old file already holds (remote/stagedChunks.ts). Either way every chunk
// handed to apply has been checked against the plan's chunk id.
import fs from 'node:fs';
import path from 'node:path';
import type { SchemeHasher } from '../hash/hashScheme.js';
import { readFully, sameStat, statKey, type StatKey } from '../hash/hashFile.js';
import { osPath } from '../runtime/byteNames.js';
import { readXattrs, type XattrOptions } from '../scan/xattrs.js';
import { CHANGED_ON_SOURCE, ItemError } from './patchInPlace.js';

/** One source file, open for the chunks of one item. */
export interface SourceFile {
  /** Chunk `i`, read into `buf` (or another buffer) and checked against the plan's chunk id. */
  chunk(i: number, buf: Buffer): Buffer;
  /** Throws an ItemError with `message` where the file changed since the plan saw it. */
  checkUnchanged(message: string): void;
  close(): void;
}

export interface SourceReader {
  /**
   * Opens the file at `rel` that the plan saw with `seen` (its stat) and `ids` (its chunk ids),
   * of `size` bytes in chunks of `chunkSize`: an ItemError where it is no longer that file.
   */
  open(rel: string, seen: StatKey, size: number, chunkSize: number, ids: Buffer): SourceFile;
  /** The synced attributes of the source entry at `rel` (xattrs.readXattrs). */
  xattrs(rel: string, o: XattrOptions): ReturnType<typeof readXattrs>;
}

/**
 * Chunk `i` of an open source file, read into `buf` and checked against the plan's chunk ids:
 * the bytes the plan compared, or an ItemError where the source shrank or changed since.
 */
export function readSourceChunk(
  fd: number,
  buf: Buffer,
  i: number,
  chunkSize: number,
  size: number,
  hasher: SchemeHasher,
  ids: Buffer,
): Buffer {
  const len = Math.min(chunkSize, size - i * chunkSize);
  if (readFully(fd, buf, len, i * chunkSize) !== len)
    throw new ItemError('the source shrank while it was read; run again');
  const chunk = buf.subarray(0, len);
  const ib = hasher.idBytes;
  if (!hasher.hash(chunk).equals(ids.subarray(i * ib, (i + 1) * ib)))
    throw new ItemError(CHANGED_ON_SOURCE);
  return chunk;
}

/** The source folder of a local pair, read directly (never through a link: O_NOFOLLOW). */
export class LocalSourceReader implements SourceReader {
  constructor(
    private readonly root: string,
    private readonly hasher: SchemeHasher,
  ) {}

  open(rel: string, seen: StatKey, size: number, chunkSize: number, ids: Buffer): SourceFile {
    const fd = fs.openSync(
      osPath(path.join(this.root, rel)),
      fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0),
    );
    const hasher = this.hasher;
    const file: SourceFile = {
      chunk: (i, buf) => readSourceChunk(fd, buf, i, chunkSize, size, hasher, ids),
      checkUnchanged(message) {
        if (!sameStat(statKey(fs.fstatSync(fd)), seen)) throw new ItemError(message);
      },
      close: () => fs.closeSync(fd),
    };
    try {
      file.checkUnchanged(CHANGED_ON_SOURCE);
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return file;
  }

  xattrs(rel: string, o: XattrOptions): ReturnType<typeof readXattrs> {
    return readXattrs(path.join(this.root, rel), o);
  }
}
