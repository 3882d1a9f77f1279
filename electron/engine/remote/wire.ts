// Tree nodes and walk entries as they cross the connection of a remote pair: JSON with ids and
// chunk ids in base64. Names stay JS strings; a name that is not UTF-8 holds lone surrogates
// (runtime/byteNames.ts), which JSON carries as \udcXX escapes and gives back exactly.
import type { EntryType } from '../../shared/plan.js';
import type { TreeNode } from '../core/scan/tree.js';
import type { WalkEntry } from '../core/scan/walk.js';

export interface WireNode {
  type: EntryType;
  id: string;
  size: number;
  mtimeMs: number;
  mode: number;
  chunkSize?: number;
  /** chunk ids, where asked for */
  chunks?: string;
  base?: 0 | 1 | 2;
  linkTarget?: string;
  allocated?: number;
  /** the id of its synced attributes (-X, -A), where the pair syncs them */
  xattrId?: string;
}

const b64 = (b: Buffer): string => b.toString('base64');
const unb64 = (s: unknown, what: string): Buffer => {
  if (typeof s !== 'string') throw new Error(`the far side sent ${what} without its id`);
  return Buffer.from(s, 'base64');
};

export function encodeNode(n: TreeNode, chunkIds?: Buffer): WireNode {
  const w: WireNode = {
    type: n.type,
    id: b64(n.id),
    size: n.size,
    mtimeMs: n.mtimeMs,
    mode: n.mode,
  };
  if (n.chunkSize !== undefined) w.chunkSize = n.chunkSize;
  if (chunkIds) w.chunks = b64(chunkIds);
  if (n.base !== undefined) w.base = n.base;
  if (n.linkTarget !== undefined) w.linkTarget = n.linkTarget;
  if (n.allocated !== undefined) w.allocated = n.allocated;
  if (n.xattrId !== undefined) w.xattrId = b64(n.xattrId);
  return w;
}

export function decodeNode(w: WireNode): TreeNode {
  const n: TreeNode = {
    type: w.type,
    id: unb64(w.id, 'an entry'),
    size: Number(w.size),
    mtimeMs: Number(w.mtimeMs),
    mode: Number(w.mode),
  };
  if (w.chunkSize !== undefined) n.chunkSize = Number(w.chunkSize);
  if (w.chunks !== undefined) n.chunkIds = unb64(w.chunks, 'chunk ids');
  if (w.base !== undefined) n.base = w.base;
  if (w.linkTarget !== undefined) n.linkTarget = String(w.linkTarget);
  if (w.allocated !== undefined) n.allocated = Number(w.allocated);
  if (w.xattrId !== undefined) n.xattrId = unb64(w.xattrId, 'an attribute id');
  if (n.type === 'dir') n.children = [];
  return n;
}

/**
 * The walk entry apply checks a source entry against, made from its node on the far side: the
 * far side never reads the source, so its stat is the node's (the chunks it writes are checked
 * against their ids instead).
 */
export function entryOfNode(n: TreeNode): WalkEntry {
  return {
    type: n.type,
    size: n.size,
    mtimeMs: n.mtimeMs,
    ctimeMs: 0,
    ino: 0,
    mode: n.mode,
    nlink: 1,
    allocated: n.allocated ?? n.size,
    ...(n.linkTarget !== undefined ? { linkTarget: n.linkTarget } : {}),
  };
}

/**
 * A listed child in the descent as an array, not an object: [name, type, id, size, mtimeMs,
 * mode, chunkSize, base, linkTarget, allocated, xattrId], the trailing empty fields left out. A listing
 * is most of what a changed folder costs on the wire; without the keys it is about half.
 */
export type WireChild = (string | number | null)[];

const TYPES = ['file', 'dir', 'symlink', 'special'] as const;

export function encodeChild(name: string, n: TreeNode): WireChild {
  const out: WireChild = [
    name,
    TYPES.indexOf(n.type),
    b64(n.id),
    n.size,
    n.mtimeMs,
    n.mode,
    n.chunkSize ?? null,
    n.base ?? null,
    n.linkTarget ?? null,
    n.allocated ?? null,
    n.xattrId ? b64(n.xattrId) : null,
  ];
  while (out[out.length - 1] === null) out.pop();
  return out;
}

export function decodeChild(c: WireChild): [string, TreeNode] {
  const type = TYPES[Number(c[1])];
  if (!Array.isArray(c) || typeof c[0] !== 'string' || !type)
    throw new Error('the far side sent a listing Tandem does not read');
  const w: WireNode = {
    type,
    id: String(c[2]),
    size: Number(c[3]),
    mtimeMs: Number(c[4]),
    mode: Number(c[5]),
  };
  if (c[6] != null) w.chunkSize = Number(c[6]);
  if (c[7] != null) w.base = Number(c[7]) as 0 | 1 | 2;
  if (c[8] != null) w.linkTarget = String(c[8]);
  if (c[9] != null) w.allocated = Number(c[9]);
  if (c[10] != null) w.xattrId = String(c[10]);
  return [c[0], decodeNode(w)];
}

/** A source entry's synced attributes as they cross (-X, -A): [name, value in base64]. */
export type WireXattrs = [string, string][];

export function encodeXattrs(attrs: readonly [string, Buffer][]): WireXattrs {
  return attrs.map(([n, v]) => [n, b64(v)]);
}

export function decodeXattrs(w: unknown): [string, Buffer][] {
  if (!Array.isArray(w)) throw new Error('the far side sent attributes Tandem does not read');
  return w.map((a: unknown) => {
    if (!Array.isArray(a) || typeof a[0] !== 'string' || typeof a[1] !== 'string')
      throw new Error('the far side sent attributes Tandem does not read');
    return [a[0], Buffer.from(a[1], 'base64')] as [string, Buffer];
  });
}
