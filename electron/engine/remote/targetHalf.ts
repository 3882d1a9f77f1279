// The far side of a remote pair whose target is on this machine: the target half of a sync
// session, driven by requests from the machine that holds the source (remote/remoteSession.ts).
// It opens the pair here (the target's lock, its journal recovery, its probe, its own index in
// this machine's state folder), scans and hashes the target with this machine's cores, answers
// the other side's descent of the id tree, keeps the chunks that arrive (stagedChunks.ts), and
// applies the plan with the same guarded, journaled, versioned apply as a local target.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApplyResult, PlanItem } from '../../shared/plan.js';
import { RefusalError, tandemHome, type PairPaths } from '../pair/pair.js';
import { SyncSession, type SessionProgress } from '../pair/syncSession.js';
import { createSchemeHasher, type SchemeHasher } from '../core/hash/hashScheme.js';
import type { ScanResult } from '../core/scan/scan.js';
import { chunkIdsOf, joinPath, subtree, type TreeNode } from '../core/scan/tree.js';
import type { WalkEntry } from '../core/scan/walk.js';
import { PAGE_SIZE } from '../core/target/patchInPlace.js';
import { oldChunk, StagedChunks, StagedSourceReader } from './stagedChunks.js';
import { decodeNode, encodeNode, entryOfNode, type WireNode } from './wire.js';

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
}

/** A chunk the other side is asked to send, with the page ids of the old chunk where there is one. */
export interface Need {
  path: string;
  index: number;
  id: string;
  length: number;
  /** PAGE_ID_BYTES per 4 KiB page of the old chunk at this place, base64 */
  pages?: string;
}

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
function resolveTarget(p: string): { target: string; given: string; exists: boolean } {
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

export class TargetHalf {
  private tgt: ScanResult | null = null;
  private staged: StagedChunks;
  private pending: { items: PlanItem[]; source: ScanResult; needs: Need[] } | null = null;

  private constructor(
    private readonly session: SyncSession,
    private readonly hasher: SchemeHasher,
  ) {
    this.staged = new StagedChunks(session.pair.targetFs, hasher);
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
      key: crypto
        .createHash('sha256')
        .update(`${r.sourceLabel}\0${where.target}`)
        .digest('hex')
        .slice(0, 20),
    };
    const session = await SyncSession.open(paths, {
      write: r.write,
      confirmTarget: r.confirmTarget,
      scheme: r.scheme,
      ignore: r.ignore,
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

  /** The children of each folder, in their order: [name, node] (files without chunk ids). */
  list(dirs: unknown): [string, WireNode][][] {
    if (!Array.isArray(dirs)) throw new Error('list needs folders');
    const nodes = this.tree.nodes;
    return dirs.map((d) => {
      const n = nodes.get(String(d));
      if (n?.type !== 'dir') return [];
      return (n.children ?? []).map((name): [string, WireNode] => [
        name,
        encodeNode(nodes.get(joinPath(String(d), name))!),
      ]);
    });
  }

  /** Each file's chunk ids, base64 (null where it is no file). */
  chunkIds(paths: unknown): (string | null)[] {
    if (!Array.isArray(paths)) throw new Error('chunkIds needs paths');
    return paths.map((p) => {
      const n = this.tree.nodes.get(String(p));
      return n?.type === 'file' ? chunkIdsOf(this.tree, String(p)).toString('base64') : null;
    });
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
    const tree = this.tree;
    const t = this.session.pair.targetFs;
    const nodes = new Map<string, TreeNode>();
    const entries = new Map<string, WalkEntry>();
    for (const s of sources as [string, WireNode][]) {
      const n = decodeNode(s[1]);
      nodes.set(String(s[0]), n);
      entries.set(String(s[0]), entryOfNode(n));
    }
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
    for (const it of items as PlanItem[]) {
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
          if (it.kind === 'update') {
            const prev = oldChunk(t, tree, this.hasher, it.path, i, cs, null, scratch, openOld);
            if (prev) need.pages = pageIds(this.hasher, prev).toString('base64');
          }
          needs.push(need);
        }
      } finally {
        (old as ReturnType<typeof t.openRead> | null)?.close();
      }
    }
    this.pending = { items: items as PlanItem[], source, needs };
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

  /** Applies the staged plan; the chunks go once every item was written. */
  apply(): ApplyResult {
    const p = this.pending;
    if (!p) throw new Error('apply needs a staged plan');
    this.pending = null;
    const t = this.session.pair.targetFs;
    const reader = new StagedSourceReader(t, this.staged, this.tree, this.hasher);
    const result = this.session.apply(p.items, { source: p.source, reader });
    if (result.failed.length === 0 && !result.stopped) this.staged.clear();
    return result;
  }

  markInSync(): void {
    this.session.markInSync();
  }

  async close(): Promise<void> {
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
