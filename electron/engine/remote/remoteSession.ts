// A sync whose source is on this machine and whose target is on another, reached over ssh
// (DESIGN.md, "Remote pairs"; issue 12). Each side hashes its own files with its own index:
// this side the source, the far side's `tandem server` the target (targetHalf.ts). Only ids and
// the chunks that differ cross the connection:
//
//   1. openTarget: the far side opens the pair there (its lock, recovery, probe) and scans the
//      target; it answers with the root's id.
//   2. Descent: where the ids of a folder differ, its children are listed (`list`), one round
//      trip per level of the tree; a folder whose id equals the source's is not listed at all.
//      An unchanged pair exchanges the root ids and nothing more.
//   3. The plan is made here, by the same compare as a local pair, from the source's tree and the
//      part of the target's that the descent saw.
//   4. Apply: the far side is told the items (`stage`) and answers with the chunks it lacks; each
//      is sent whole, or, where the far side holds an old chunk at its place, as the 4 KiB pages
//      whose ids differ (a hash of a hash again). The far side checks each against its id, keeps
//      it in `.tandem/incoming`, and applies with its own journaled, versioned apply.
import type { ApplyResult, Plan, PlanItem, Skipped } from '../../shared/plan.js';
import { summarize } from '../../shared/plan.js';
import { formatLocation, type RemoteLocation } from '../../shared/remoteAddress.js';
import {
  createSchemeHasher,
  DEFAULT_SCHEME,
  normalizeScheme,
  type SchemeHasher,
} from '../core/hash/hashScheme.js';
import { HashPool } from '../core/hash/hashPool.js';
import { IdentifierIndex } from '../core/index/identifierIndex.js';
import { compareTrees } from '../core/plan/compare.js';
import type { ScanResult } from '../core/scan/scan.js';
import { chunkIdsOf, parentOf, type IdTree } from '../core/scan/tree.js';
import { EXACT_NAMES, walkTree, type NameRules, type WalkResult } from '../core/scan/walk.js';
import { walkInWorker } from '../core/scan/walkInWorker.js';
import { ItemError } from '../core/target/patchInPlace.js';
import { LocalSourceReader, type SourceFile } from '../core/target/sourceReader.js';
import { CdcRuns, decodeCdcSignature, type Chunking } from './cdc.js';
import { decodeSignature, encodeDelta } from './delta.js';
import { sourceLabelOf } from './farVersions.js';
import { indexFileOf, pairKey, RefusalError, resolveSource, tandemHome } from '../pair/pair.js';
import {
  pairXattrs,
  planHolds,
  readIgnoreFile,
  type SessionProgress,
} from '../pair/syncSession.js';
import { Pacer, RemoteConnection, RemoteError, type ConnectOptions } from './connection.js';
import { PROTOCOL_CDC, PROTOCOL_SOURCE } from './channel.js';
import { differingPages, unpackNeeds, type Need, type PackedNeed } from './targetHalf.js';
import { descend, fetchChunkIds } from './descent.js';
import { scanIndexedSource, storeSourceScan } from './indexedSourceScan.js';
import {
  encodeNode,
  encodeXattrs,
  type WireChild,
  type WireNode,
  type WireXattrs,
} from './wire.js';
import { NOT_TEXT, wantsXattrs, type XattrOptions } from '../core/scan/xattrs.js';

export type RemoteProgress =
  | SessionProgress
  | {
      phase: 'transfer';
      chunksDone: number;
      chunksTotal: number;
      bytesDone: number;
      bytesTotal: number;
      /** bytes written to ssh so far, this run */
      wireBytes: number;
    };

export interface RemoteSessionOptions extends Omit<ConnectOptions, 'version'> {
  version: string;
  write: boolean;
  confirmTarget?: boolean;
  scheme?: string;
  ignore?: string[];
  maxDelete?: number;
  threads?: number;
  home?: string;
  /** the most bytes a second the transfer may send (rsync's --bwlimit); none when absent */
  bwLimit?: number;
  /** the attributes to sync (-X, -A); the pair's remembered ones when absent */
  xattrs?: XattrOptions;
  /** days a replaced file's version is kept, where the target is this side's (a pull) */
  retentionDays?: number;
  /**
   * How a file whose content moved is matched against the other side's old copy: by
   * content-defined chunks (`cdc`, the default; cdc.ts) or by rsync's blocks (`fixed`, delta.ts).
   * A far Tandem below protocol 3 gets rsync's.
   */
  chunking?: Chunking;
  onProgress?: (p: RemoteProgress) => void;
}

/** Whether a delta over `conn` is content-defined. */
export function cdcOver(conn: RemoteConnection, opts: { chunking?: Chunking }): boolean {
  return (opts.chunking ?? 'cdc') === 'cdc' && conn.protocol >= PROTOCOL_CDC;
}

/** Chunk sends outstanding before waiting for the far side's acknowledgements. */
const WINDOW = 64;
/** Bytes of a file's consecutive chunks sent as one rsync delta (held in memory on both sides). */
const DELTA_RUN = 64 * 1024 * 1024;

/** The far pair is held by another Tandem (its lock): a refusal that a later try may not meet. */
export class RemoteBusyError extends RefusalError {}

/** What the source's scan takes from the target: its name rules and its mtime granularity. */
interface TargetRules {
  nameRules: NameRules;
  granularityMs: number;
}

interface Scanned {
  target: string;
  exists: boolean;
  root: WireNode;
  count: number;
  free: number | null;
  nameRules: NameRules;
  granularityMs: number;
  skipped: Skipped[];
  rolledBack: string[];
  problems: string[];
}

export class RemoteSession {
  private src: ScanResult | null = null;
  private far: Scanned | null = null;
  private targetTree: IdTree | null = null;

  private conn!: RemoteConnection;
  /** stops the early scan when the far side cannot be reached */
  private readonly early = new AbortController();
  /** the source's scan under the last run's target rules, begun while ssh connects */
  private firstScan!: Promise<ScanResult>;

  private constructor(
    readonly source: string,
    readonly where: RemoteLocation,
    private readonly index: IdentifierIndex,
    private readonly scheme: string,
    private readonly hasher: SchemeHasher,
    private readonly pool: HashPool,
    private readonly opts: RemoteSessionOptions,
    private readonly ignore: string[],
    /** the target's rules as the last run found them (targetRules in this side's index) */
    private readonly rules: TargetRules,
    /** the attributes this pair syncs (pairXattrs: remembered in this side's index) */
    private readonly xattrs: XattrOptions,
  ) {}

  private start(conn: RemoteConnection, firstScan: Promise<ScanResult>): void {
    this.conn = conn;
    this.firstScan = firstScan;
  }

  /** The target as it is shown: host:path, as the person gave it. */
  get targetLabel(): string {
    return formatLocation(this.where);
  }

  get recovery(): { rolledBack: string[]; problems: string[] } {
    return { rolledBack: this.far?.rolledBack ?? [], problems: this.far?.problems ?? [] };
  }

  /** Bytes written to and read from ssh this session. */
  get wire(): { out: number; in: number } {
    return this.conn.bytes;
  }

  static async open(
    sourceArg: string,
    where: RemoteLocation,
    opts: RemoteSessionOptions,
  ): Promise<RemoteSession> {
    const source = resolveSource(sourceArg);
    const home = opts.home ?? tandemHome();
    const label = formatLocation(where);
    const index = new IdentifierIndex(indexFileOf(home, pairKey(source, label)));
    let conn: RemoteConnection | null = null;
    let pool: HashPool | null = null;
    let listing: Promise<WalkResult> | null = null;
    let scanning: Promise<ScanResult> | null = null;
    let made: RemoteSession | null = null;
    try {
      const scheme = normalizeScheme(opts.scheme ?? index.getMeta('scheme') ?? DEFAULT_SCHEME);
      const ignore = [...readIgnoreFile(source), ...(opts.ignore ?? [])];
      const xattrs = pairXattrs(index, opts.xattrs);
      const stored = index.getMeta('targetRules');
      const rules: TargetRules = stored
        ? (JSON.parse(stored) as TargetRules)
        : { nameRules: EXACT_NAMES, granularityMs: 1 };
      // The source is listed (in a worker) and hashed while ssh connects and the far side
      // starts: a changed large file is hashed before the far side is even reached.
      listing = walkInWorker(source, 'source', { ignore, targetNames: rules.nameRules });
      listing.catch(() => undefined);
      pool = await HashPool.create(scheme, opts.threads);
      const hasher = await createSchemeHasher(scheme);
      const session = new RemoteSession(
        source,
        where,
        index,
        scheme,
        hasher,
        pool,
        opts,
        ignore,
        rules,
        xattrs,
      );
      made = session;
      const first = listing.then((l) => session.scanSource(l, rules.granularityMs));
      first.catch(() => undefined);
      scanning = first;
      conn = await RemoteConnection.open(where, opts);
      if (wantsXattrs(xattrs) && conn.protocol < PROTOCOL_SOURCE)
        throw new RefusalError(
          `${where.host} runs Tandem ${conn.peerVersion}, which does not keep extended attributes or ACLs; update Tandem there, or sync without -X/-A`,
        );
      session.start(conn, first);
      return session;
    } catch (e) {
      // An unreachable far side is said at once, not after the source is hashed.
      made?.early.abort(e);
      await listing?.catch(() => undefined);
      await scanning?.catch(() => undefined);
      await pool?.close();
      await conn?.close();
      index.close();
      throw e;
    }
  }

  private async request(m: { t: string; [k: string]: unknown }, bytes?: Buffer) {
    try {
      return (await this.conn.request(m, bytes)).message;
    } catch (e) {
      if (e instanceof RemoteError && e.code === 'refused') throw new RefusalError(e.message);
      if (e instanceof RemoteError && e.code === 'busy')
        throw new RemoteBusyError(
          `${this.where.host}: ${e.message}: another Tandem is syncing this pair; run again once it is done`,
        );
      throw e;
    }
  }

  async plan(): Promise<Plan> {
    const { scheme, source } = this;
    const ignore = this.ignore;
    // The far side opens and scans the target while this side walks and hashes the source.
    const far = this.request({
      t: 'openTarget',
      path: this.where.path,
      sourceLabel: sourceLabelOf(source),
      write: this.opts.write,
      confirmTarget: this.opts.confirmTarget === true,
      scheme,
      ignore,
      xattrs: this.xattrs,
    }) as Promise<unknown> as Promise<Scanned>;
    far.catch(() => undefined);
    const rules = this.rules;
    this.src = await this.firstScan;
    const scanned = await far;
    this.far = scanned;
    // Folder ids hold mtimes in the target's granularity, and the walk checks names against the
    // target's rules: both are the last run's until the far side says; where they changed (a
    // first run, another target), the source is listed and scanned again under the new ones.
    const now: TargetRules = {
      nameRules: scanned.nameRules,
      granularityMs: scanned.granularityMs,
    };
    if (JSON.stringify(now) !== JSON.stringify(rules)) {
      this.index.setMeta('targetRules', JSON.stringify(now));
      // What the first scan hashed is kept (a file's id does not depend on the rules), and its
      // folder ids, made under the old rules, are forgotten and made again.
      this.index.write('source', this.src.upserts, this.src.deletions);
      this.index.forgetFolderIds();
      const listing = walkTree(source, 'source', { ignore, targetNames: now.nameRules });
      this.src = await this.scanSource(listing, now.granularityMs);
    }
    storeSourceScan(this.index, this.src, scheme);

    const target = await this.descend(this.hasher.idBytes);
    this.targetTree = target;
    const src = this.src;
    const skipped: Skipped[] = [...src.skipped, ...scanned.skipped];
    const items = compareTrees(src.tree, target, {
      protectedPaths: new Set(skipped.map((s) => s.path)),
      mtimeGranularityMs: scanned.granularityMs,
      targetNames: scanned.nameRules,
    });
    const srcRoot = src.tree.nodes.get('')!;
    const tgtRoot = target.nodes.get('')!;
    return {
      source,
      target: this.targetLabel,
      scheme,
      sourceRootId: srcRoot.id.toString('hex'),
      targetRootId: tgtRoot.id.toString('hex'),
      items,
      skipped,
      holds: planHolds(items, {
        sourceEmpty: (srcRoot.children?.length ?? 0) === 0 && scanned.count > 0,
        targetCount: () => scanned.count,
        ...(this.opts.maxDelete !== undefined ? { maxDelete: this.opts.maxDelete } : {}),
        freeBytes: () => scanned.free,
      }),
      summary: summarize(items),
    };
  }

  /** Hashes the source from its listing and the index rows it may reuse. */
  private scanSource(listing: WalkResult, granularityMs: number): Promise<ScanResult> {
    return scanIndexedSource({
      root: this.source,
      index: this.index,
      scheme: this.scheme,
      hasher: this.hasher,
      pool: this.pool,
      listing,
      granularityMs,
      xattrs: this.xattrs,
      ...(this.opts.onProgress ? { onProgress: this.opts.onProgress } : {}),
      signal: this.early.signal,
    });
  }

  /**
   * The part of the target's tree the plan needs: folders whose ids differ from the source's
   * are listed, level by level; equal ones stand as their id. What is found equal is recorded
   * on the far side as in sync (its baseline), as a local plan does.
   */
  private async descend(idBytes: number): Promise<IdTree> {
    const srcNodes = this.src!.tree.nodes;
    const d = await descend(this.far!.root, srcNodes, async (dirs) => {
      const reply = await this.request({ t: 'list', dirs });
      return reply.lists as WireChild[][];
    });
    // Chunk ids of the files that differ where both sides chunk alike, for the plan's chunk diff.
    const updates = d.differing.filter((p) => {
      const s = srcNodes.get(p);
      return s?.type === 'file' && s.chunkSize === d.nodes.get(p)!.chunkSize;
    });
    await fetchChunkIds(updates, d.nodes, async (paths) => {
      const reply = await this.request({ t: 'chunkIds', paths });
      return reply.chunks as (string | null)[];
    });
    const equalEntries = d.equalEntries
      .filter(([, far]) => far.base !== 1)
      .map(([p, far]) => [p, far.id.toString('base64')]);
    if (this.opts.write && (d.equalDirs.length || equalEntries.length))
      await this.request({ t: 'baseline', dirs: d.equalDirs, entries: equalEntries });
    return { scheme: this.scheme, idBytes, nodes: d.nodes };
  }

  /** Records a pair found in sync on the far side (its marker is checked from then on). */
  async markInSync(): Promise<void> {
    if (this.far?.exists) await this.request({ t: 'inSync' });
  }

  /** Sends what the far side lacks of `items` (all from plan()), then has it apply them. */
  async apply(items: PlanItem[]): Promise<ApplyResult> {
    const src = this.src;
    if (!src || !this.targetTree) throw new Error('apply() needs plan() first');
    const hasher = this.hasher;
    // The source nodes the far side writes from: the items' own and their folders'.
    const wanted = new Set<string>();
    for (const it of items) {
      for (let p = it.path; ; p = parentOf(p)) {
        if (wanted.has(p)) break;
        wanted.add(p);
        if (p === '') break;
      }
    }
    // With -X/-A, each entry's attributes go with it (apply there checks them against its id).
    const sources: ([string, WireNode] | [string, WireNode, WireXattrs | null])[] = [];
    const attrsOf = new LocalSourceReader(this.source, hasher);
    for (const p of wanted) {
      const n = src.tree.nodes.get(p);
      if (!n) continue;
      const w = encodeNode(n, n.type === 'file' ? chunkIdsOf(src.tree, p) : undefined);
      if (!wantsXattrs(this.xattrs) || !n.xattrId) {
        sources.push([p, w]);
        continue;
      }
      let a: ReturnType<typeof attrsOf.xattrs> | null;
      try {
        a = attrsOf.xattrs(p, this.xattrs);
      } catch {
        a = null; // gone or unreadable since the scan: its item fails there, "run again"
      }
      sources.push([p, w, a === null || a === NOT_TEXT ? null : encodeXattrs(a)]);
    }
    const staged = await this.request({ t: 'stage', items, sources });
    await this.send(unpackNeeds(staged.needs as PackedNeed[], src.tree), hasher);
    this.conn.onEvent = (m) => {
      if (m.t === 'progress') this.opts.onProgress?.(m.progress as SessionProgress);
    };
    try {
      const done = await this.request({ t: 'apply' });
      return done.result as ApplyResult;
    } finally {
      this.conn.onEvent = null;
    }
  }

  /**
   * Sends each needed chunk, read from the source and checked against its id: whole, or as the
   * pages whose ids differ from the far side's old chunk there. A chunk the far side could not
   * rebuild from pages (its old chunk changed meanwhile, or page ids collided) is sent again whole.
   */
  private async send(needs: Need[], hasher: SchemeHasher) {
    const src = this.src!;
    const reader = new LocalSourceReader(this.source, hasher);
    const bytesTotal = needs.reduce((n, x) => n + x.length, 0);
    let bytesDone = 0;
    let chunksDone = 0;
    const wireAtStart = this.conn.bytes.out;
    const progress = () =>
      this.opts.onProgress?.({
        phase: 'transfer',
        chunksDone,
        chunksTotal: needs.length,
        bytesDone,
        bytesTotal,
        wireBytes: this.conn.bytes.out - wireAtStart,
      });
    const done = (length: number) => {
      chunksDone++;
      bytesDone += length;
      progress();
    };
    const byPath = new Map<string, number[]>();
    needs.forEach((n, i) => {
      const list = byPath.get(n.path);
      if (list) list.push(i);
      else byPath.set(n.path, [i]);
    });
    const inFlight: Promise<unknown>[] = [];
    const retry: number[] = [];
    const sendOne = async (k: number, whole: boolean, chunk: Buffer) => {
      const need = needs[k]!;
      let message: { t: string; [k: string]: unknown } = { t: 'chunk', need: k };
      let bytes = chunk;
      if (!whole && need.pages) {
        const d = differingPages(hasher, chunk, Buffer.from(need.pages, 'base64'));
        message = { ...message, pages: d.pages };
        bytes = d.bytes;
      }
      const reply = this.request(message, Buffer.from(bytes)).then(
        () => done(need.length),
        (e: unknown) => {
          if (!whole && need.pages && !(e instanceof RefusalError)) retry.push(k);
          else throw e;
        },
      );
      inFlight.push(reply);
      if (inFlight.length >= WINDOW) await Promise.all(inFlight.splice(0));
      await this.conn.drained();
      await this.pace();
    };
    const readChunks = async (ks: number[], whole: boolean) => {
      const groups = new Map<string, number[]>();
      for (const k of ks) {
        const p = needs[k]!.path;
        const g = groups.get(p);
        if (g) g.push(k);
        else groups.set(p, [k]);
      }
      for (const [p, list] of groups) {
        const node = src.tree.nodes.get(p)!;
        const entry = src.walk.entries.get(p)!;
        let f;
        try {
          f = reader.open(p, entry, node.size, node.chunkSize!, chunkIdsOf(src.tree, p));
        } catch (e) {
          // Changed or gone since the plan: its chunks are not sent, and the far side fails
          // the item with "run again" (the next plan sees the new file).
          if (e instanceof ItemError || (e as NodeJS.ErrnoException).code) continue;
          throw e;
        }
        try {
          if (!whole && needs[list[0]!]!.delta) {
            await this.sendDelta(p, list, needs, f, hasher, retry);
            for (const k of list) if (!retry.includes(k)) done(needs[k]!.length);
            continue;
          }
          for (const k of list) {
            let chunk: Buffer;
            try {
              chunk = f.chunk(needs[k]!.index, Buffer.allocUnsafe(needs[k]!.length));
            } catch (e) {
              if (e instanceof ItemError) break;
              throw e;
            }
            await sendOne(k, whole, chunk);
          }
        } finally {
          f.close();
        }
      }
    };
    await readChunks([...byPath.values()].flat(), false);
    await Promise.all(inFlight.splice(0));
    if (retry.length) {
      await readChunks(retry.splice(0), true);
      await Promise.all(inFlight.splice(0));
    }
  }

  /**
   * The needed chunks `ks` of the file at `p` (open as `f`) as deltas against the far side's old
   * file (content-defined, cdc.ts, or rsync's, delta.ts), one per run of consecutive chunks of
   * at most DELTA_RUN bytes.
   * Chunks the far side could not rebuild go to `retry`, to be sent whole.
   */
  private async sendDelta(
    p: string,
    ks: number[],
    needs: Need[],
    f: SourceFile,
    hasher: SchemeHasher,
    retry: number[],
  ): Promise<void> {
    const node = this.src!.tree.nodes.get(p)!;
    const cs = node.chunkSize!;
    const cdc = cdcOver(this.conn, this.opts);
    const sigFrame = await this.conn.request({ t: 'signature', path: p, ...(cdc ? { cdc } : {}) });
    const sigBytes = sigFrame.bytes ?? Buffer.alloc(0);
    const scratch = Buffer.allocUnsafe(cs);
    const runs = cdc
      ? new CdcRuns(decodeCdcSignature(sigBytes), hasher, cs, node.size, (i) => f.chunk(i, scratch))
      : null;
    const sig = cdc ? null : decodeSignature(sigBytes, 0);
    const byIndex = new Map(ks.map((k) => [needs[k]!.index, k]));
    const order = [...byIndex.keys()].sort((a, b) => a - b);
    const maxRun = Math.max(1, Math.floor(DELTA_RUN / cs));
    // One run's answer is awaited only once the next run is on its way: the far side rebuilds
    // and stages a run while this side encodes the next (two runs' bytes in memory at most).
    let inFlight: Promise<void> | null = null;
    const settle = async () => {
      const x = inFlight;
      inFlight = null;
      await x;
    };
    for (let j = 0; j < order.length;) {
      let end = j + 1;
      while (end < order.length && order[end] === order[end - 1]! + 1 && end - j < maxRun) end++;
      const first = order[j]!;
      const count = end - j;
      let d: { ops: number[]; literals: Buffer };
      try {
        if (runs) d = runs.run(first, count);
        else {
          const parts: Buffer[] = [];
          for (let i = first; i < first + count; i++)
            parts.push(Buffer.from(f.chunk(i, Buffer.allocUnsafe(cs))));
          d = encodeDelta(Buffer.concat(parts), sig!, hasher);
        }
      } catch (e) {
        // Changed since the plan: the far side says run again (after the run on its way).
        if (e instanceof ItemError) break;
        await settle().catch(() => undefined);
        throw e;
      }
      const reply = this.request(
        { t: 'delta', path: p, first, count, ops: d.ops, ...(cdc ? { cdc } : {}) },
        d.literals,
      ).then((r) => {
        for (const i of r.failed as number[]) retry.push(byIndex.get(i)!);
      });
      reply.catch(() => undefined); // awaited by settle
      await settle();
      inFlight = reply;
      await this.pace();
      j = end;
    }
    await settle();
  }

  /** the bandwidth limit (rsync's --bwlimit) on what is sent */
  private pacer: Pacer | null = null;

  private pace(): Promise<void> {
    return (this.pacer ??= new Pacer(this.opts.bwLimit, () => this.conn.bytes.out)).wait();
  }

  async close(): Promise<void> {
    this.src = null;
    this.targetTree = null;
    await this.pool.close();
    await this.conn.close();
    this.index.close();
  }
}
