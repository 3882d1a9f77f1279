// Identifiers above the chunk: a file id hashes its chunk ids, a folder id hashes its children's
// names, types, metadata and ids (a Merkle tree), a symlink id hashes its link text.
import type { EntryType } from '../../../shared/plan.js';
import type { SchemeHasher } from './hashScheme.js';
import { encodeName } from '../runtime/byteNames.js';

export const MIN_CHUNK = 128 * 1024;
export const MAX_CHUNK = 16 * 1024 * 1024;
/** Syncthing's rule: the smallest power of two whose chunk count stays under 2,000 per file. */
export const DESIRED_CHUNKS = 2000;

/** Chunk size for a file of `size` bytes: a power of two in [128 KiB, 16 MiB]. */
export function chooseChunkSize(size: number): number {
  let c = MIN_CHUNK;
  while (c < MAX_CHUNK && size >= DESIRED_CHUNKS * c) c *= 2;
  return c;
}

export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}

const TYPE_BYTE: Record<EntryType, number> = { file: 1, dir: 2, symlink: 3, special: 4 };

/** file id = H("F", size, chunk size, chunk ids). An empty file has an id too. */
export function fileId(
  h: SchemeHasher,
  size: number,
  chunkSize: number,
  chunkIds: Uint8Array,
): Buffer {
  const head = Buffer.alloc(13);
  head[0] = 0x46; // 'F'
  head.writeBigUInt64LE(BigInt(size), 1);
  head.writeUInt32LE(chunkSize, 9);
  h.init();
  h.update(head);
  h.update(chunkIds);
  return h.digest();
}

export function symlinkId(h: SchemeHasher, linkTarget: string): Buffer {
  h.init();
  h.update(Buffer.from('L'));
  h.update(Buffer.from(linkTarget, 'utf8'));
  return h.digest();
}

/** A special file's id: it holds no bytes, so every one is the same content. */
export function specialId(h: SchemeHasher): Buffer {
  h.init();
  h.update(Buffer.from('S'));
  return h.digest();
}

export interface FolderChild {
  name: string;
  type: EntryType;
  id: Uint8Array;
  mode: number;
  /** the entry's mtime in the pair's granularity (see mtimeKey), folders and symlinks included */
  mtimeKey: number;
  /** the id of its synced attributes, where the pair syncs them */
  xattrId?: Uint8Array | undefined;
  /** owner and group, where the pair keeps them */
  owner?: { uid: number; gid: number } | undefined;
  /** the first path of its hard-link group, where the pair keeps hard links */
  linkGroup?: string | undefined;
}

/** mtime bucketed to the pair's granularity, so both sides' folder ids agree on what "equal" is. */
export function mtimeKey(mtimeMs: number, granularityMs: number): number {
  return Math.floor(mtimeMs / granularityMs);
}

/**
 * The one definition of "same mtime": the same bucket of the pair's granularity. compare, the
 * folder ids and apply all use it, so "nothing planned" and "equal root ids" always agree (a
 * tolerance of |a - b| < granularity cannot: it calls two mtimes a nanosecond apart on two sides
 * of a millisecond equal, while their buckets differ).
 */
export function sameMtime(a: number, b: number, granularityMs: number): boolean {
  return mtimeKey(a, granularityMs) === mtimeKey(b, granularityMs);
}

/**
 * The mtime to set so that the entry lands in `mtimeMs`'s bucket when writing `mtimeMs` itself did
 * not: Node sets times through a double of seconds, which can move a time a fraction of a
 * microsecond across a bucket's edge. The bucket's middle is inside it whatever the rounding.
 */
export function mtimeInBucket(mtimeMs: number, granularityMs: number): number {
  return (mtimeKey(mtimeMs, granularityMs) + 0.5) * granularityMs;
}

/**
 * Byte-wise order of names: the same on every platform and in every locale. Without building
 * the bytes where it need not: UTF-8 keeps code point order, so up to the first code unit that
 * is a surrogate (a character above U+FFFF, or a byte standing for itself) the strings' own order
 * is the bytes' order. Sorting a changed folder's children encoded two Buffers per comparison.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x >= 0xd800 || y >= 0xd800) {
      if (x === y && (x < 0xd800 || x > 0xdfff)) continue;
      return Buffer.compare(encodeName(a), encodeName(b));
    }
    if (x !== y) return x - y;
  }
  // One is a prefix of the other, with no surrogate in it: so are their bytes.
  return a.length - b.length;
}

/**
 * folder id = H("D", for each child in name order: name, type, mode, mtime key, id, and the id of
 * its attributes where the pair syncs them, flagged in the type byte so no two encodings meet).
 */
export function folderId(h: SchemeHasher, children: FolderChild[]): Buffer {
  // The whole record written into one buffer and hashed in one update: the same bytes as an
  // update per field, at a fraction of the calls (a changed folder of 100 files made 300 of
  // them). A name is written straight into it as UTF-8 where it is well-formed (no Buffer of its
  // own); one holding bytes that stand for themselves is encoded first.
  // A listing's order already (TimSort then makes one pass).
  const sorted = children.slice().sort((a, b) => compareNames(a.name, b.name));
  const n = sorted.length;
  const nameLens = new Array<number>(n);
  const encoded: (Buffer | null)[] = new Array<Buffer | null>(n).fill(null);
  const groups: (Buffer | null)[] = new Array<Buffer | null>(n).fill(null);
  let size = 1;
  for (let i = 0; i < n; i++) {
    const c = sorted[i]!;
    let len: number;
    if (c.name.isWellFormed()) len = Buffer.byteLength(c.name, 'utf8');
    else {
      const e = encodeName(c.name);
      encoded[i] = e;
      len = e.length;
    }
    nameLens[i] = len;
    size += 19 + len + c.id.length;
    if (c.xattrId) size += 1 + c.xattrId.length;
    if (c.owner) size += 8;
    if (c.linkGroup !== undefined) {
      const g = Buffer.from(c.linkGroup, 'utf8');
      groups[i] = g;
      size += 4 + g.length;
    }
  }
  const out = Buffer.allocUnsafe(size);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = 0x44; // 'D'
  let at = 1;
  for (let i = 0; i < n; i++) {
    const c = sorted[i]!;
    const len = nameLens[i]!;
    dv.setUint32(at, len, true);
    out[at + 4] =
      TYPE_BYTE[c.type] |
      (c.xattrId ? 0x80 : 0) |
      (c.owner ? 0x40 : 0) |
      (c.linkGroup !== undefined ? 0x20 : 0);
    dv.setUint32(at + 5, c.mode >>> 0, true);
    dv.setFloat64(at + 9, c.mtimeKey, true);
    dv.setUint16(at + 17, c.id.length, true);
    at += 19;
    const e = encoded[i];
    if (e) e.copy(out, at);
    else out.write(c.name, at, len, 'utf8');
    at += len;
    out.set(c.id, at);
    at += c.id.length;
    if (c.xattrId) {
      out[at++] = c.xattrId.length;
      out.set(c.xattrId, at);
      at += c.xattrId.length;
    }
    if (c.owner) {
      dv.setUint32(at, c.owner.uid >>> 0, true);
      dv.setUint32(at + 4, c.owner.gid >>> 0, true);
      at += 8;
    }
    const g = groups[i];
    if (g) {
      dv.setUint32(at, g.length, true);
      at += 4;
      at += g.copy(out, at);
    }
  }
  h.init();
  h.update(out);
  return h.digest();
}
