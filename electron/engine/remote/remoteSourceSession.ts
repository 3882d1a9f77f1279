// A sync whose source is on another machine, reached over ssh, and whose target is on this one
// (`tandem sync host:path TARGET`; issue 12). The mirror of remoteSession.ts: the far side's
// `tandem server` is the source half (sourceHalf.ts: it lists and hashes the source with its own
// index and cores, and reads the chunks asked for), and this side is the target half
// (targetHalf.ts, over a local SyncSession: the target's lock, recovery, probe, index, versions).
//
//   1. openSource: the far side resolves the source there and reads its .tandemignore; this side
//      then opens the target with those patterns (so both sides leave the same paths alone).
//   2. scanSource on the far side while this side scans the target, at the same time.
//   3. Descent: where a folder's ids differ, the far side lists its children (`list`), one round
//      trip per level; equal folders are not listed. Then the chunk ids of the source files that
//      differ. The plan is the same compare as a local pair's, with the same holds, and the
//      target's shared inodes split as a local pair's are (the target is here).
//   4. Apply: the target half says which chunks it lacks (not staged already, not in its old
//      file at the same place); each is asked for whole, as the 4 KiB pages that differ from the
//      old chunk (their ids go with the request), or as an rsync delta against the old file's
//      signature where its content moved. What arrives is checked against its id and kept in
//      this target's `.tandem/incoming` (a dropped connection loses nothing received); then the
//      target half applies with the local journaled, versioned apply.
import fs from 'node:fs';
import os from 'node:os';
import type { ApplyResult, Plan, PlanItem, Skipped } from '../../shared/plan.js';
import { summarize } from '../../shared/plan.js';
import { formatLocation, type RemoteLocation } from '../../shared/remoteAddress.js';
import { compareTrees } from '../core/plan/compare.js';
import { splitSharedInodes } from '../core/plan/sharedInodes.js';
import { parentOf, type IdTree, type TreeNode } from '../core/scan/tree.js';
import { isInside, pairKey, RefusalError, resolveTarget, type PairPaths } from '../pair/pair.js';
import { planHolds, SyncSession } from '../pair/syncSession.js';
import { PROTOCOL_SOURCE } from './channel.js';
import { Pacer, RemoteConnection, RemoteError } from './connection.js';
import {
  cdcOver,
  RemoteBusyError,
  type RemoteProgress,
  type RemoteSessionOptions,
} from './remoteSession.js';
import { machineId, type SourcePlace } from './sourceHalf.js';
import { TargetHalf, type Need } from './targetHalf.js';
import { descend, fetchChunkIds, LIST_BATCH } from './descent.js';
import { decodeXattrs, type WireChild, type WireNode, type WireXattrs } from './wire.js';
import { wantsXattrs } from '../core/scan/xattrs.js';

/** Chunk requests outstanding before waiting for their answers. */
const WINDOW = 64;
/** Bytes of a file's consecutive chunks asked for as one rsync delta (held in memory on both sides). */
const DELTA_RUN = 64 * 1024 * 1024;

interface Scanned {
  root: WireNode;
  count: number;
  skipped: Skipped[];
}

export class RemoteSourceSession {
  private src: IdTree | null = null;
  /** what went wrong on the far side reading a file's chunks, by path (said for its item) */
  private readonly farFailures = new Map<string, string>();

  private constructor(
    readonly where: RemoteLocation,
    private readonly conn: RemoteConnection,
    private readonly half: TargetHalf,
    private readonly session: SyncSession,
    private readonly opts: RemoteSessionOptions,
  ) {}

  /** The source as it is shown: host:path, as the person gave it. */
  get sourceLabel(): string {
    return formatLocation(this.where);
  }

  get recovery(): { rolledBack: string[]; problems: string[] } {
    return this.half.pair.recovery;
  }

  /** The local target as a cycle of the service sees it. */
  get pairState(): { targetExists: boolean; recovery: RemoteSourceSession['recovery'] } {
    return this.half.pair;
  }

  /** Bytes written to and read from ssh this session. */
  get wire(): { out: number; in: number } {
    return this.conn.bytes;
  }

  static async open(
    where: RemoteLocation,
    targetArg: string,
    opts: RemoteSessionOptions,
  ): Promise<RemoteSourceSession> {
    // A target that cannot be is said before ssh is started.
    const { target, targetExists } = resolveTarget(targetArg);
    const conn = await RemoteConnection.open(where, opts);
    let session: SyncSession | null = null;
    try {
      if (conn.protocol < PROTOCOL_SOURCE)
        throw new RefusalError(
          `${where.host} runs Tandem ${conn.peerVersion}, which cannot be the source of a pair (that needs protocol ${PROTOCOL_SOURCE}, Tandem ${opts.version} or later there); update Tandem on ${where.host}, or sync the other way`,
        );
      const opened = (await request(where, conn, {
        t: 'openSource',
        path: where.path,
        targetLabel: `${os.hostname()}:${target}`,
      })) as unknown as SourcePlace & { source: string; ignore: string[] };
      refuseSameFolder(where, opened, target, targetExists);
      const label = formatLocation(where);
      const paths: PairPaths = {
        source: label,
        target,
        targetGiven: target,
        targetExists,
        key: pairKey(label, target),
      };
      session = await SyncSession.open(paths, {
        write: opts.write,
        confirmTarget: opts.confirmTarget === true,
        ...(opts.scheme ? { scheme: opts.scheme } : {}),
        ignore: [...(opened.ignore ?? []), ...(opts.ignore ?? [])],
        ...(opts.maxDelete !== undefined ? { maxDelete: opts.maxDelete } : {}),
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
        ...(opts.xattrs ? { xattrs: opts.xattrs } : {}),
        ...(opts.retentionDays !== undefined ? { retentionDays: opts.retentionDays } : {}),
        ...(opts.home ? { home: opts.home } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        // The local scan and apply stop at the same signal as the connection.
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const half = await TargetHalf.over(session);
      return new RemoteSourceSession(where, conn, half, session, opts);
    } catch (e) {
      await session?.close();
      await conn.close();
      throw e;
    }
  }

  private request(m: { t: string; [k: string]: unknown }, bytes?: Buffer) {
    return request(this.where, this.conn, m, bytes);
  }

  async plan(): Promise<Plan> {
    const pair = this.half.pair;
    this.conn.onEvent = (m) => {
      if (m.t === 'progress') this.opts.onProgress?.(m.progress as RemoteProgress);
    };
    // The far side lists and hashes the source while this side scans the target.
    const far = this.request({
      t: 'scanSource',
      scheme: this.session.scheme,
      nameRules: pair.nameRules,
      granularityMs: pair.mtimeGranularityMs,
      ignore: this.opts.ignore ?? [],
      xattrs: this.half.xattrs,
    }) as Promise<unknown> as Promise<Scanned>;
    far.catch(() => undefined);
    let tgt;
    let scanned: Scanned;
    try {
      tgt = await this.half.scan().then(() => this.half.target);
      scanned = await far;
    } finally {
      this.conn.onEvent = null;
    }
    const src = await this.descend(scanned, tgt.tree);
    this.src = src;
    const skipped: Skipped[] = [...scanned.skipped, ...tgt.skipped];
    const gran = pair.mtimeGranularityMs;
    const items = splitSharedInodes(
      compareTrees(src, tgt.tree, {
        protectedPaths: new Set(skipped.map((s) => s.path)),
        mtimeGranularityMs: gran,
        targetNames: pair.nameRules,
      }),
      tgt.walk.entries,
      src,
      tgt.tree,
      gran,
    );
    const srcRoot = src.nodes.get('')!;
    const tgtRoot = tgt.tree.nodes.get('')!;
    const tgtCount = tgt.tree.nodes.size - 1;
    return {
      source: this.sourceLabel,
      target: pair.target,
      scheme: this.session.scheme,
      sourceRootId: srcRoot.id.toString('hex'),
      targetRootId: tgtRoot.id.toString('hex'),
      items,
      skipped,
      holds: planHolds(items, {
        sourceEmpty: (srcRoot.children?.length ?? 0) === 0 && tgtCount > 0,
        targetCount: () => tgtCount,
        ...(this.opts.maxDelete !== undefined ? { maxDelete: this.opts.maxDelete } : {}),
        freeBytes: () => {
          if (!pair.targetExists) return null;
          try {
            const st = fs.statfsSync(pair.target);
            return st.bavail * st.bsize;
          } catch {
            return null;
          }
        },
      }),
      summary: summarize(items),
    };
  }

  /**
   * The part of the source's tree the plan needs, from the far side: folders whose ids differ
   * from the target's are listed, level by level; equal ones stand as their id. The source files
   * that differ come with their chunk ids. What is found equal is recorded here as in sync (the
   * target's baseline), as a local plan does.
   */
  private async descend(scanned: Scanned, target: IdTree): Promise<IdTree> {
    const d = await descend(scanned.root, target.nodes, async (dirs) => {
      const reply = await this.request({ t: 'list', dirs });
      return reply.lists as WireChild[][];
    });
    // Every far file that differs needs its chunk ids: for the chunk diff and for the fetch.
    await fetchChunkIds(d.differing, d.nodes, async (paths) => {
      const reply = await this.request({ t: 'chunkIds', paths });
      return reply.chunks as (string | null)[];
    });
    const equalEntries = d.equalEntries
      .filter(([, , here]) => here.base !== 1)
      .map(([p, , here]) => [p, here.id.toString('base64')]);
    if (this.opts.write && (d.equalDirs.length || equalEntries.length))
      this.half.baseline(d.equalDirs, equalEntries);
    return { scheme: this.session.scheme, idBytes: target.idBytes, nodes: d.nodes };
  }

  /** Records a pair found in sync (the target's marker is checked from then on). */
  markInSync(): void {
    this.half.markInSync();
  }

  /** Fetches what the target lacks of `items` (all from plan()), then applies them here. */
  async apply(items: PlanItem[]): Promise<ApplyResult> {
    const src = this.src;
    if (!src) throw new Error('apply() needs plan() first');
    const wanted = new Map<string, TreeNode>();
    for (const it of items)
      for (let p = it.path; !wanted.has(p); p = parentOf(p)) {
        const n = src.nodes.get(p);
        if (n) wanted.set(p, n);
        if (p === '') break;
      }
    // With -X/-A, the attributes of what is written come first (apply checks them by their id).
    const attrs = new Map<string, [string, Buffer][] | null>();
    if (wantsXattrs(this.half.xattrs)) {
      const paths = [...wanted].flatMap(([p, n]) => (n.xattrId ? [p] : []));
      for (let i = 0; i < paths.length; i += LIST_BATCH) {
        const batch = paths.slice(i, i + LIST_BATCH);
        const reply = await this.request({ t: 'xattrs', paths: batch });
        (reply.attrs as (WireXattrs | null)[]).forEach((a, k) =>
          attrs.set(batch[k]!, a === null ? null : decodeXattrs(a)),
        );
      }
    }
    const needs = this.half.stageNodes(items, wanted, attrs);
    this.farFailures.clear();
    await this.fetch(needs);
    const result = this.half.apply();
    // A file the far side could not read as the plan saw it says so, not "did not arrive".
    for (const f of result.failed) {
      const why = this.farFailures.get(f.path);
      if (why) f.message = why;
    }
    return result;
  }

  /**
   * Asks the far side for each needed chunk (a window of requests outstanding), whole, as the
   * pages that differ from the old chunk here, or as rsync deltas; what comes is checked and
   * staged by the target half. A chunk that cannot be rebuilt from pages (the old chunk changed
   * meanwhile) is asked for again whole.
   */
  private async fetch(needs: Need[]): Promise<void> {
    const bytesTotal = needs.reduce((n, x) => n + x.length, 0);
    let bytesDone = 0;
    let chunksDone = 0;
    const wireAtStart = this.conn.bytes.in;
    const done = (length: number) => {
      chunksDone++;
      bytesDone += length;
      this.opts.onProgress?.({
        phase: 'transfer',
        chunksDone,
        chunksTotal: needs.length,
        bytesDone,
        bytesTotal,
        wireBytes: this.conn.bytes.in - wireAtStart,
      });
    };
    const inFlight: Promise<unknown>[] = [];
    const retry: number[] = [];
    /** a far-side refusal of one file's read fails that item; anything else ends the run */
    const farItem = (path: string, e: unknown): boolean => {
      if (e instanceof RemoteError && (e.code === 'item' || e.code === 'failed')) {
        this.farFailures.set(path, e.message);
        return true;
      }
      return false;
    };
    const ask = async (k: number, whole: boolean) => {
      const need = needs[k]!;
      const pages = whole ? undefined : need.pages;
      const reply = this.request({
        t: 'read',
        path: need.path,
        index: need.index,
        ...(pages ? { pages } : {}),
      }).then(
        (f) => {
          try {
            this.half.receive(k, f.pages, f.bytes);
          } catch (e) {
            if (pages) return void retry.push(k);
            throw e;
          }
          done(need.length);
        },
        (e: unknown) => {
          if (!farItem(need.path, e)) throw e;
        },
      );
      inFlight.push(reply);
      if (inFlight.length >= WINDOW) await Promise.all(inFlight.splice(0));
      await this.pace();
    };
    const byPath = new Map<string, number[]>();
    needs.forEach((n, k) => {
      const list = byPath.get(n.path);
      if (list) list.push(k);
      else byPath.set(n.path, [k]);
    });
    for (const [p, ks] of byPath) {
      if (needs[ks[0]!]!.delta) {
        await Promise.all(inFlight.splice(0));
        await this.fetchDelta(p, ks, needs, retry, done, farItem);
        continue;
      }
      for (const k of ks) await ask(k, false);
    }
    await Promise.all(inFlight.splice(0));
    if (retry.length) {
      for (const k of retry.splice(0)) await ask(k, true);
      await Promise.all(inFlight.splice(0));
    }
  }

  /**
   * The needed chunks `ks` of the file at `p` as deltas against the old file here, one
   * per run of consecutive chunks of at most DELTA_RUN bytes; chunks that do not check go to
   * `retry`, to be asked for whole.
   */
  private async fetchDelta(
    p: string,
    ks: number[],
    needs: Need[],
    retry: number[],
    done: (length: number) => void,
    farItem: (path: string, e: unknown) => boolean,
  ): Promise<void> {
    const node = this.src!.nodes.get(p)!;
    const cs = node.chunkSize!;
    const cdc = cdcOver(this.conn, this.opts);
    // A content-defined signature goes with the file's first run only (the far side continues
    // its cut run after run); rsync's with each.
    let sig: Buffer | undefined = this.half.signature(p, cdc);
    const byIndex = new Map(ks.map((k) => [needs[k]!.index, k]));
    const order = [...byIndex.keys()].sort((a, b) => a - b);
    const maxRun = Math.max(1, Math.floor(DELTA_RUN / cs));
    for (let j = 0; j < order.length;) {
      let end = j + 1;
      while (end < order.length && order[end] === order[end - 1]! + 1 && end - j < maxRun) end++;
      const first = order[j]!;
      const count = end - j;
      let reply;
      try {
        reply = await this.requestFrame(
          { t: 'deltaFrom', path: p, first, count, ...(cdc ? { cdc } : {}) },
          sig,
        );
        if (cdc) sig = undefined;
      } catch (e) {
        if (farItem(p, e)) return;
        throw e;
      }
      const failed = this.half.receiveDelta(
        p,
        first,
        count,
        reply.message.ops,
        reply.bytes ?? Buffer.alloc(0),
        cdc,
      );
      for (let i = first; i < first + count; i++) {
        const k = byIndex.get(i)!;
        if (failed.includes(i)) retry.push(k);
        else done(needs[k]!.length);
      }
      await this.pace();
      j = end;
    }
  }

  private async requestFrame(m: { t: string; [k: string]: unknown }, bytes?: Buffer) {
    try {
      return await this.conn.request(m, bytes);
    } catch (e) {
      throw translate(this.where, e);
    }
  }

  /** the bandwidth limit (rsync's --bwlimit) on what comes */
  private pacer: Pacer | null = null;

  private pace(): Promise<void> {
    return (this.pacer ??= new Pacer(this.opts.bwLimit, () => this.conn.bytes.in)).wait();
  }

  async close(): Promise<void> {
    this.src = null;
    await this.half.close();
    await this.conn.close();
  }
}

/** A far refusal as this side's own kinds: a refusal, or a busy pair. */
function translate(where: RemoteLocation, e: unknown): unknown {
  if (e instanceof RemoteError && e.code === 'refused') return new RefusalError(e.message);
  if (e instanceof RemoteError && e.code === 'busy')
    return new RemoteBusyError(
      `${where.host}: ${e.message}: another Tandem is syncing this pair; run again once it is done`,
    );
  return e;
}

/** A request's reply message, with its bytes as `bytes` where the frame had any. */
async function request(
  where: RemoteLocation,
  conn: RemoteConnection,
  m: { t: string; [k: string]: unknown },
  bytes?: Buffer,
): Promise<Record<string, unknown> & { bytes?: Buffer }> {
  let f;
  try {
    f = await conn.request(m, bytes);
  } catch (e) {
    throw translate(where, e);
  }
  return f.bytes ? { ...f.message, bytes: f.bytes } : f.message;
}

/**
 * Refuses a pull whose far source is this very target, or holds it, or lies inside it: the same
 * machine (its machine id) and the same folder (device and inode), or paths that contain each
 * other there. An address can name this machine (localhost, or a name for it).
 */
function refuseSameFolder(
  where: RemoteLocation,
  far: SourcePlace & { source: string },
  target: string,
  targetExists: boolean,
): void {
  const here = machineId();
  if (!here || far.machine !== here) return;
  if (targetExists) {
    const st = fs.statSync(target);
    if (st.dev === far.dev && st.ino === far.ino)
      throw new RefusalError(
        `${formatLocation(where)} is this machine's ${target}: source and target are the same folder`,
      );
  }
  if (isInside(target, far.source))
    throw new RefusalError(
      `target ${target} is inside the source ${formatLocation(where)} (this machine's ${far.source}); choose a target outside it`,
    );
  if (isInside(far.source, target))
    throw new RefusalError(
      `the source ${formatLocation(where)} (this machine's ${far.source}) is inside the target ${target}; choose folders that do not contain each other`,
    );
}
