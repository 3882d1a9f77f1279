// The far side of a remote pair whose target is on this machine: the target half of a sync
// session, driven by requests from the machine that holds the source (remote/remoteSession.ts).
// It opens the pair here (the target's lock, its journal recovery, its probe, its own index in
// this machine's state folder), scans and hashes the target with this machine's cores, answers
// the other side's descent of the id tree, keeps the chunks that arrive (stagedChunks.ts), and
// applies the plan with the same guarded, journaled, versioned apply as a local target.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApplyResult, PlanItem } from '../../shared/plan.js';
import { pairKey, RefusalError, tandemHome, type PairPaths } from '../pair/pair.js';
import { SyncSession, type SessionProgress } from '../pair/syncSession.js';
import { createSchemeHasher, type SchemeHasher } from '../core/hash/hashScheme.js';
import type { ScanResult } from '../core/scan/scan.js';
import { chunkIdsOf, joinPath, subtree, type IdTree, type TreeNode } from '../core/scan/tree.js';
import type { WalkEntry } from '../core/scan/walk.js';
import { PAGE_SIZE } from '../core/target/patchInPlace.js';
import { readAll } from '../core/target/targetFs.js';
import { cdcSignatureOf, encodeCdcSignature } from './cdc.js';
import { applyDelta, blockSizeFor, encodeSignature, signatureOf } from './delta.js';
import { oldChunk, StagedChunks, StagedSourceReader } from './stagedChunks.js';
import {
  decodeNode,
  decodeXattrs,
  encodeChild,
  encodeNode,
  entryOfNode,
  type WireChild,
  type WireNode,
  type WireXattrs,
} from './wire.js';
import type { XattrOptions } from '../core/scan/xattrs.js';

/** Page ids are cut to this many bytes: a page that collides is caught by its chunk's full id. */
export const PAGE_ID_BYTES = 8;

export interface OpenTargetRequest {
  /** the target as the other side named it: relative to this machine's home, or absolute */
  path: string;
  /** names the source for this machine's records: "host:/path" of the other side */
  sourceLabel: string;
  write: boolean;
  confirmTarget: boolean;
  scheme: string;
  ignore: string[];
  /** the attributes the pair syncs (-X, -A), as the source side decided (protocol 2) */
  xattrs?: XattrOptions;
}

/** A chunk the other side is asked to send, with the page ids of the old chunk where there is one. */
export interface Need {
  path: string;
  index: number;
  id: string;
  length: number;
  /** PAGE_ID_BYTES per 4 KiB page of the old chunk at this place, base64 */
  pages?: string;
  /**
   * the file's content moved (its size changed and many chunks differ): its chunks are best
   * sent as an rsync delta against the old file's signature (delta.ts)
   */
  delta?: true;
}

/**
 * Needs as they cross the wire: [path, index] or [path, index, pages] for one chunk, and
 * [path, [first, count, …]] for the chunks of a file sent as a delta. The id and length of each
 * follow from the source node both sides hold, so they do not travel (a delta file's chunks
 * are a list of runs, not a need each).
 */
export type PackedNeed = [string, number] | [string, number, string] | [string, number[]];

export function packNeeds(needs: Need[]): PackedNeed[] {
  const out: PackedNeed[] = [];
  for (const n of needs) {
    if (!n.delta) {
      out.push(n.pages ? [n.path, n.index, n.pages] : [n.path, n.index]);
      continue;
    }
    const last = out[out.length - 1];
    const runs = last && last[0] === n.path && Array.isArray(last[1]) ? last[1] : null;
    if (!runs) out.push([n.path, [n.index, 1]]);
    else if (runs[runs.length - 2]! + runs[runs.length - 1]! === n.index) runs[runs.length - 1]!++;
    else runs.push(n.index, 1);
  }
  return out;
}

/** The needs `packNeeds` packed, in the same order, their ids and lengths from `source`. */
export function unpackNeeds(packed: PackedNeed[], source: IdTree): Need[] {
  const ib = source.idBytes;
  const out: Need[] = [];
  const one = (path: string, index: number): Need => {
    const n = source.nodes.get(path);
    if (n?.type !== 'file' || !n.chunkSize) throw new Error(`the far side asked for ${path}`);
    const ids = chunkIdsOf(source, path);
    const id = ids.subarray(index * ib, (index + 1) * ib);
    if (id.length !== ib) throw new Error(`the far side asked for chunk ${index} of ${path}`);
    return {
      path,
      index,
      id: id.toString('hex'),
      length: Math.min(n.chunkSize, n.size - index * n.chunkSize),
    };
  };
  for (const p of packed) {
    if (Array.isArray(p[1])) {
      const runs = p[1];
      for (let j = 0; j + 1 < runs.length; j += 2)
        for (let i = runs[j]!; i < runs[j]! + runs[j + 1]!; i++)
          out.push({ ...one(p[0], i), delta: true });
    } else {
      const need = one(p[0], p[1]);
      if (typeof p[2] === 'string') need.pages = p[2];
      out.push(need);
    }
  }
  return out;
}

/** A file whose size changed and whose chunks differ in more than this many is sent as a delta. */
const DELTA_MIN_CHUNKS = 2;

export function pageIds(hasher: SchemeHasher, chunk: Buffer): Buffer {
  const n = Math.ceil(chunk.length / PAGE_SIZE);
  const out = Buffer.allocUnsafe(n * PAGE_ID_BYTES);
  for (let k = 0; k < n; k++)
    hasher
      .hash(chunk.subarray(k * PAGE_SIZE, Math.min((k + 1) * PAGE_SIZE, chunk.length)))
      .copy(out, k * PAGE_ID_BYTES, 0, PAGE_ID_BYTES);
  return out;
}

/** The target folder as the other side named it, resolved on this machine. */
export function resolveTarget(p: string): { target: string; given: string; exists: boolean } {
  const given = path.resolve(os.homedir(), p === '' ? '.' : p);
  try {
    const real = fs.realpathSync(given);
    if (!fs.statSync(real).isDirectory())
      throw new RefusalError(`${given} on ${os.hostname()} is not a folder`);
    return { target: real, given, exists: true };
  } catch (e) {
    if (e instanceof RefusalError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT')
      throw new RefusalError(`cannot open ${given} on ${os.hostname()}: ${code}`);
    let parent: string;
    try {
      parent = fs.realpathSync(path.dirname(given));
    } catch {
      throw new RefusalError(
        `the folder that should hold the target does not exist on ${os.hostname()}: ${path.dirname(given)}`,
      );
    }
    // A target not made yet is created by the sync (openPair), as for a local pair.
    return { target: path.join(parent, path.basename(given)), given, exists: false };
  }
}

/** The children of each of `dirs` in `tree`, in their order (a descent's `list`). */
export function listChildren(tree: IdTree, dirs: unknown): WireChild[][] {
  if (!Array.isArray(dirs)) throw new Error('list needs folders');
  const nodes = tree.nodes;
  return dirs.map((d) => {
    const n = nodes.get(String(d));
    if (n?.type !== 'dir') return [];
    return (n.children ?? []).map((name) =>
      encodeChild(name, nodes.get(joinPath(String(d), name))!),
    );
  });
}

/** Each file's chunk ids in `tree`, base64 (null where it is no file). */
export function chunkIdsFor(tree: IdTree, paths: unknown): (string | null)[] {
  if (!Array.isArray(paths)) throw new Error('chunkIds needs paths');
  return paths.map((p) => {
    const n = tree.nodes.get(String(p));
    return n?.type === 'file' ? chunkIdsOf(tree, String(p)).toString('base64') : null;
  });
}

/**
 * What of `chunk` (a source chunk) to send to a side whose old chunk at its place has the page
 * ids `theirs`: the indexes of the 4 KiB pages that differ, and their bytes in that order.
 */
export function differingPages(
  hasher: SchemeHasher,
  chunk: Buffer,
  theirs: Buffer,
): { pages: number[]; bytes: Buffer } {
  const ours = pageIds(hasher, chunk);
  const pages: number[] = [];
  const parts: Buffer[] = [];
  const oldPages = theirs.length / PAGE_ID_BYTES;
  for (let p = 0; p * PAGE_SIZE < chunk.length; p++) {
    const a = ours.subarray(p * PAGE_ID_BYTES, (p + 1) * PAGE_ID_BYTES);
    if (p < oldPages && a.equals(theirs.subarray(p * PAGE_ID_BYTES, (p + 1) * PAGE_ID_BYTES)))
      continue;
    pages.push(p);
    parts.push(chunk.subarray(p * PAGE_SIZE, Math.min((p + 1) * PAGE_SIZE, chunk.length)));
  }
  return { pages, bytes: Buffer.concat(parts) };
}

export class TargetHalf {
  private tgt: ScanResult | null = null;
  private staged: StagedChunks;
  private pending: {
    items: PlanItem[];
    source: ScanResult;
    needs: Need[];
    attrs: Map<string, [string, Buffer][] | null>;
  } | null = null;

  private constructor(
    private readonly session: SyncSession,
    private readonly hasher: SchemeHasher,
  ) {
    this.staged = new StagedChunks(session.pair.targetFs, hasher);
  }

  /**
   * The target half over a session this process opened itself: a local target whose source is
   * on another machine (remoteSourceSession.ts). The session is the half's, closed with it.
   */
  static async over(session: SyncSession): Promise<TargetHalf> {
    return new TargetHalf(session, await createSchemeHasher(session.scheme));
  }

  /** The local pair under this half (its target folder, lock, index and probe). */
  get pair(): SyncSession['pair'] {
    return this.session.pair;
  }

  /** The attributes the pair syncs (-X, -A), as its session decided. */
  get xattrs(): XattrOptions {
    return this.session.xattrs;
  }

  /** What the last scan saw of the target. */
  get target(): ScanResult {
    if (!this.tgt) throw new Error('scan the target first');
    return this.tgt;
  }

  static async open(
    r: OpenTargetRequest,
    onProgress: (p: SessionProgress) => void,
  ): Promise<TargetHalf> {
    const where = resolveTarget(r.path);
    const paths: PairPaths = {
      source: r.sourceLabel,
      target: where.target,
      targetGiven: where.given,
      targetExists: where.exists,
      key: pairKey(r.sourceLabel, where.target),
    };
    const session = await SyncSession.open(paths, {
      write: r.write,
      confirmTarget: r.confirmTarget,
      scheme: r.scheme,
      ignore: r.ignore,
      ...(r.xattrs
        ? { xattrs: { xattrs: r.xattrs.xattrs === true, acls: r.xattrs.acls === true } }
        : {}),
      home: tandemHome(),
      onProgress,
    });
    try {
      return new TargetHalf(session, await createSchemeHasher(session.scheme));
    } catch (e) {
      await session.close();
      throw e;
    }
  }

  /** Scans the target with its index; what the other side needs to start its descent. */
  async scan(): Promise<Record<string, unknown>> {
    const { pair } = this.session;
    this.tgt = await this.session.scanTarget();
    const root = this.tgt.tree.nodes.get('')!;
    return {
      target: pair.target,
      exists: pair.targetExists,
      root: encodeNode(root),
      count: this.tgt.tree.nodes.size - 1,
      free: pair.targetExists ? freeBytes(pair.target) : null,
      nameRules: pair.nameRules,
      granularityMs: pair.mtimeGranularityMs,
      skipped: this.tgt.skipped,
      rolledBack: pair.recovery.rolledBack,
      problems: pair.recovery.problems,
    };
  }

  private get tree() {
    if (!this.tgt) throw new Error('scan the target first');
    return this.tgt.tree;
  }

  /** The children of each folder, in their order (encodeChild; files without chunk ids). */
  list(dirs: unknown): WireChild[][] {
    return listChildren(this.tree, dirs);
  }

  /** Each file's chunk ids, base64 (null where it is no file). */
  chunkIds(paths: unknown): (string | null)[] {
    return chunkIdsFor(this.tree, paths);
  }

  /**
   * Records what the other side found equal as in sync: whole folders whose ids matched, and
   * entries whose ids matched within folders that differ. Returns how many were recorded.
   */
  baseline(dirs: unknown, entries: unknown): number {
    const tree = this.tree;
    const set: [string, Buffer][] = [];
    const add = (p: string, n: TreeNode | undefined, id?: Buffer) => {
      if (!n || n.type === 'dir' || n.base === 1 || (id && !n.id.equals(id))) return;
      n.base = 1;
      set.push([p, n.id]);
    };
    for (const d of Array.isArray(dirs) ? dirs : [])
      if (tree.nodes.get(String(d))?.type === 'dir')
        for (const p of subtree(tree, String(d))) add(p, tree.nodes.get(p));
    for (const e of Array.isArray(entries) ? entries : []) {
      if (!Array.isArray(e)) continue;
      const p = String(e[0]);
      add(p, tree.nodes.get(p), Buffer.from(String(e[1]), 'base64'));
    }
    this.session.recordBaseline(set);
    return set.length;
  }

  /** Takes the plan to apply with the source nodes it writes; returns the chunks still missing. */
  stage(items: unknown, sources: unknown): Need[] {
    if (!Array.isArray(items) || !Array.isArray(sources)) throw new Error('stage needs a plan');
    const nodes = new Map<string, TreeNode>();
    const attrs = new Map<string, [string, Buffer][] | null>();
    for (const s of sources as [string, WireNode, WireXattrs | null | undefined][]) {
      nodes.set(String(s[0]), decodeNode(s[1]));
      if (s[2] !== undefined) attrs.set(String(s[0]), s[2] === null ? null : decodeXattrs(s[2]));
    }
    return this.stageNodes(items as PlanItem[], nodes, attrs);
  }

  /**
   * stage() with the source nodes as they are (files with their chunk ids): where the source is
   * the far side and this side applies (remoteSourceSession.ts).
   */
  stageNodes(
    items: PlanItem[],
    nodes: Map<string, TreeNode>,
    /** the source entries' synced attributes (null: out of reach there), where the pair syncs them */
    attrs: Map<string, [string, Buffer][] | null> = new Map(),
  ): Need[] {
    const tree = this.tree;
    const t = this.session.pair.targetFs;
    const entries = new Map<string, WalkEntry>();
    for (const [p, n] of nodes) entries.set(p, entryOfNode(n));
    const source: ScanResult = {
      tree: { scheme: this.session.scheme, idBytes: this.hasher.idBytes, nodes },
      walk: { root: this.session.pair.source, entries, skipped: [], collisions: [] },
      skipped: [],
      upserts: [],
      deletions: [],
    };
    const ib = this.hasher.idBytes;
    const needs: Need[] = [];
    const asked = new Set<string>();
    for (const it of items) {
      if (it.kind !== 'create' && it.kind !== 'update' && it.kind !== 'replaceType') continue;
      const n = nodes.get(it.path);
      if (n?.type !== 'file' || it.linkTo || !n.chunkIds || !n.chunkSize) continue;
      const cs = n.chunkSize;
      const count = Math.ceil(n.size / cs);
      const changed =
        it.kind === 'update' && it.chunks?.chunkSize === cs
          ? it.chunks.changed
          : Array.from({ length: count }, (_, i) => i);
      let old: ReturnType<typeof t.openRead> | null = null;
      const openOld = () => (old ??= t.openRead(it.path));
      const was = tree.nodes.get(it.path);
      const shifted =
        it.kind === 'update' &&
        was?.type === 'file' &&
        was.size !== n.size &&
        changed.length > DELTA_MIN_CHUNKS;
      try {
        for (const i of changed) {
          const id = n.chunkIds.subarray(i * ib, (i + 1) * ib);
          const hex = id.toString('hex');
          if (asked.has(hex)) continue;
          asked.add(hex);
          const length = Math.min(cs, n.size - i * cs);
          const scratch = Buffer.allocUnsafe(length);
          if (this.staged.read(id, length, scratch)) continue;
          const need: Need = { path: it.path, index: i, id: hex, length };
          if (shifted) need.delta = true;
          else if (it.kind === 'update') {
            const prev = oldChunk(t, tree, this.hasher, it.path, i, cs, null, scratch, openOld);
            if (prev) need.pages = pageIds(this.hasher, prev).toString('base64');
          }
          needs.push(need);
        }
      } finally {
        (old as ReturnType<typeof t.openRead> | null)?.close();
      }
    }
    this.pending = { items, source, needs, attrs };
    return needs;
  }

  /**
   * A chunk the other side sent for need `n`: whole, or as the pages that differ from the old
   * chunk at its place (`pages`: their indexes, `bytes` their bytes in that order). Checked
   * against its id before it is kept.
   */
  receive(n: unknown, pages: unknown, bytes: Buffer | undefined): void {
    const need = this.pending?.needs[Number(n)];
    if (!need || !bytes) throw new Error('a chunk that was not asked for');
    const id = Buffer.from(need.id, 'hex');
    if (!Array.isArray(pages)) return this.staged.put(id, bytes);
    const node = this.tree.nodes.get(need.path);
    const cs = node?.chunkSize ?? 0;
    const t = this.session.pair.targetFs;
    let f: ReturnType<typeof t.openRead> | null = null;
    try {
      const prev = oldChunk(
        t,
        this.tree,
        this.hasher,
        need.path,
        need.index,
        cs,
        null,
        Buffer.allocUnsafe(cs),
        () => (f ??= t.openRead(need.path)),
      );
      if (!prev) throw new Error(`${need.path} changed on the target while its chunks came`);
      const out = Buffer.alloc(need.length);
      prev.copy(out, 0, 0, Math.min(prev.length, need.length));
      let at = 0;
      for (const k of pages as number[]) {
        const from = Number(k) * PAGE_SIZE;
        const len = Math.min(PAGE_SIZE, need.length - from);
        if (from < 0 || len <= 0 || at + len > bytes.length) throw new Error('pages out of range');
        bytes.copy(out, from, at, at + len);
        at += len;
      }
      this.staged.put(id, out);
    } finally {
      (f as ReturnType<typeof t.openRead> | null)?.close();
    }
  }

  /**
   * The signature of the old file at `p`, as bytes: its content-defined chunks (`cdc`, cdc.ts) or
   * its rsync blocks (delta.ts).
   */
  signature(p: unknown, cdc = false): Buffer {
    const rel = String(p);
    const n = this.tree.nodes.get(rel);
    if (n?.type !== 'file') throw new Error(`${rel} is no file on the target`);
    const f = this.session.pair.targetFs.openRead(rel);
    try {
      if (cdc) {
        const sig = cdcSignatureOf(
          n.size,
          (offset, into) => {
            if (readAll(f, into, into.length, offset) !== into.length)
              throw new Error(`${rel} changed on the target while its signature was made`);
          },
          this.hasher,
        );
        return encodeCdcSignature(sig);
      }
      const buf = Buffer.allocUnsafe(blockSizeFor(n.size));
      const sig = signatureOf(
        n.size,
        (offset, length) => {
          const b = buf.subarray(0, length);
          if (readAll(f, b, length, offset) !== length)
            throw new Error(`${rel} changed on the target while its signature was made`);
          return b;
        },
        this.hasher,
      );
      return encodeSignature(sig);
    } finally {
      f.close();
    }
  }

  /**
   * Chunks `first` … `first + count - 1` of the source file at `p`, as a delta against the old
   * file there (`cdc`: in bytes, against its content-defined chunks; else in rsync blocks):
   * rebuilt, each checked against its chunk id and kept. Returns the chunk
   * indexes that did not check (a false match, or the old file changed): the other side sends
   * those whole.
   */
  receiveDelta(
    p: unknown,
    first: unknown,
    count: unknown,
    ops: unknown,
    literals: Buffer,
    cdc = false,
  ): number[] {
    const rel = String(p);
    const node = this.pending?.source.tree.nodes.get(rel);
    const old = this.tree.nodes.get(rel);
    const f0 = Number(first);
    const c = Number(count);
    if (node?.type !== 'file' || !node.chunkIds || !node.chunkSize || old?.type !== 'file')
      throw new Error(`a delta for ${rel}, which this plan does not update`);
    if (!Array.isArray(ops) || !Number.isInteger(f0) || !Number.isInteger(c) || c < 1)
      throw new Error('a bad delta');
    const cs = node.chunkSize;
    const start = f0 * cs;
    const end = Math.min(node.size, (f0 + c) * cs);
    if (start >= end) throw new Error('a delta outside the file');
    // The rsync delta copies whole blocks of the old file, the content-defined one byte ranges.
    const block = cdc ? 1 : blockSizeFor(old.size);
    const reach = cdc ? old.size : Math.floor(old.size / block) * block;
    const f = this.session.pair.targetFs.openRead(rel);
    let data: Buffer;
    try {
      data = applyDelta({ ops: ops as number[], literals }, block, end - start, (at, into) => {
        if (at + into.length > reach || readAll(f, into, into.length, at) !== into.length)
          throw new Error(`${rel}: old bytes ${at}+${into.length} are not there`);
      });
    } finally {
      f.close();
    }
    const ib = this.hasher.idBytes;
    const failed: number[] = [];
    for (let j = f0; j < f0 + c; j++) {
      const bytes = data.subarray((j - f0) * cs, Math.min(end, (j + 1) * cs) - start);
      const id = node.chunkIds.subarray(j * ib, (j + 1) * ib);
      if (this.hasher.hash(bytes).equals(id)) this.staged.put(id, bytes);
      else failed.push(j);
    }
    return failed;
  }

  /** Applies the staged plan; the chunks go once every item was written. */
  apply(): ApplyResult {
    const p = this.pending;
    if (!p) throw new Error('apply needs a staged plan');
    this.pending = null;
    const t = this.session.pair.targetFs;
    const reader = new StagedSourceReader(t, this.staged, this.tree, this.hasher, p.attrs);
    const result = this.session.apply(p.items, { source: p.source, reader });
    if (result.failed.length === 0 && !result.stopped) this.staged.clear();
    return result;
  }

  /**
   * The pair is in sync: chunks staged by a run that was cut off after its apply went in (a kill
   * between the far apply and its answer) are of no use any more, and go as after an apply.
   */
  markInSync(): void {
    this.session.markInSync();
    this.staged.clear();
  }

  async close(): Promise<void> {
    this.staged.close();
    await this.session.close();
  }
}

function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}
