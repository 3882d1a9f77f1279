// The far side of a remote pair whose source is on this machine: the source half of a sync
// session, driven by requests from the machine that holds the target (remoteSourceSession.ts).
// It resolves the source here, keeps the source's index in this machine's state folder, lists
// and hashes the source with this machine's cores, answers the other side's descent of the id
// tree, and reads the chunks the other side lacks, each checked against the id the plan saw.
// It never writes in the source folder: its only writes are its own index, under $TANDEM_HOME.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Skipped } from '../../shared/plan.js';
import { createSchemeHasher, type SchemeHasher } from '../core/hash/hashScheme.js';
import { HashPool } from '../core/hash/hashPool.js';
import { IdentifierIndex } from '../core/index/identifierIndex.js';
import type { ScanResult } from '../core/scan/scan.js';
import { chunkIdsOf } from '../core/scan/tree.js';
import type { NameRules } from '../core/scan/walk.js';
import { walkInWorker } from '../core/scan/walkInWorker.js';
import { ItemError } from '../core/target/patchInPlace.js';
import { LocalSourceReader, type SourceFile } from '../core/target/sourceReader.js';
import { indexFileOf, pairKey, RefusalError, tandemHome } from '../pair/pair.js';
import { pairXattrs, readIgnoreFile, type SessionProgress } from '../pair/syncSession.js';
import { CdcRuns, decodeCdcSignature } from './cdc.js';
import { decodeSignature, encodeDelta, type Delta } from './delta.js';
import { scanIndexedSource, storeSourceScan } from './indexedSourceScan.js';
import { chunkIdsFor, differingPages, listChildren } from './targetHalf.js';
import { encodeNode, encodeXattrs, type WireChild, type WireXattrs } from './wire.js';
import {
  NO_XATTRS,
  NOT_TEXT,
  wantsXattrs,
  xattrModule,
  type XattrOptions,
} from '../core/scan/xattrs.js';

export interface OpenSourceRequest {
  /** the source as the other side named it: relative to this machine's home, or absolute */
  path: string;
  /** names the target for this machine's records: "host:/path" of the other side */
  targetLabel: string;
}

export interface ScanSourceRequest {
  scheme: string;
  /** the target's name rules and mtime granularity (its probe, on the other side) */
  nameRules: NameRules;
  granularityMs: number;
  /** patterns given on the other side's command line (the source's .tandemignore is read here) */
  ignore: string[];
  /** the attributes the pair syncs (-X, -A), as the target's side decided */
  xattrs?: XattrOptions;
}

/** Where this machine is, for the other side's same-folder check: its machine id and the root's. */
export interface SourcePlace {
  machine: string | null;
  dev: number;
  ino: number;
}

export function machineId(): string | null {
  for (const f of ['/etc/machine-id', '/var/lib/dbus/machine-id'])
    try {
      const id = fs.readFileSync(f, 'utf8').trim();
      if (id) return id;
    } catch {
      // not on this platform
    }
  return null;
}

/** The source folder as the other side named it, resolved on this machine. */
export function resolveRemoteSource(p: string): string {
  const given = path.resolve(os.homedir(), p === '' ? '.' : p);
  let real: string;
  try {
    real = fs.realpathSync(given);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RefusalError(
      code === 'ENOENT'
        ? `source folder not found on ${os.hostname()}: ${given}`
        : `cannot open the source ${given} on ${os.hostname()}: ${code}`,
    );
  }
  if (!fs.statSync(real).isDirectory())
    throw new RefusalError(`the source ${given} on ${os.hostname()} is not a folder`);
  try {
    fs.accessSync(real, fs.constants.R_OK | fs.constants.X_OK);
    fs.readdirSync(real);
  } catch (e) {
    throw new RefusalError(
      `cannot read the source folder ${given} on ${os.hostname()}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
  return real;
}

export class SourceHalf {
  private src: ScanResult | null = null;
  private pool: HashPool | null = null;
  private hasher: SchemeHasher | null = null;
  private xattrOpts: XattrOptions = NO_XATTRS;
  /** the file last read from, kept open for its next chunks */
  private file: { rel: string; f: SourceFile } | null = null;

  private constructor(
    readonly source: string,
    private readonly index: IdentifierIndex,
    /** the source's own .tandemignore */
    readonly ignore: string[],
  ) {}

  static open(r: OpenSourceRequest): SourceHalf {
    const source = resolveRemoteSource(String(r.path));
    const ignore = readIgnoreFile(source);
    const index = new IdentifierIndex(
      indexFileOf(tandemHome(), pairKey(source, String(r.targetLabel))),
    );
    return new SourceHalf(source, index, ignore);
  }

  /** What the other side checks before it scans its target: this folder's place. */
  place(): SourcePlace {
    const st = fs.statSync(this.source);
    return { machine: machineId(), dev: st.dev, ino: st.ino };
  }

  /** Lists and hashes the source with its index; what the other side needs to start a descent. */
  async scan(
    r: ScanSourceRequest,
    onProgress: (p: SessionProgress) => void,
  ): Promise<Record<string, unknown>> {
    if (this.src) throw new Error('the source is already scanned on this connection');
    const scheme = String(r.scheme);
    const rules = JSON.stringify({ nameRules: r.nameRules, granularityMs: r.granularityMs });
    // Folder ids hold mtimes in the target's granularity and names under its rules: made under
    // other ones (another target, a first run), they are made again; file ids are kept.
    if (this.index.getMeta('targetRules') !== rules) {
      this.index.forgetFolderIds();
      this.index.setMeta('targetRules', rules);
    }
    const listing = walkInWorker(this.source, 'source', {
      ignore: [...this.ignore, ...(Array.isArray(r.ignore) ? r.ignore.map(String) : [])],
      targetNames: r.nameRules,
    });
    listing.catch(() => undefined);
    const xo = (this.xattrOpts = pairXattrs(
      this.index,
      r.xattrs ? { xattrs: r.xattrs.xattrs === true, acls: r.xattrs.acls === true } : undefined,
    ));
    if (wantsXattrs(xo) && xo.xattrs && !xattrModule())
      throw new RefusalError(
        `extended attributes cannot be read on ${os.hostname()}; sync without -X/-A`,
      );
    this.pool = await HashPool.create(scheme);
    const hasher = (this.hasher = await createSchemeHasher(scheme));
    const src = await scanIndexedSource({
      root: this.source,
      index: this.index,
      scheme,
      hasher,
      pool: this.pool,
      listing: await listing,
      granularityMs: Number(r.granularityMs),
      xattrs: xo,
      onProgress,
    });
    storeSourceScan(this.index, src, scheme);
    this.src = src;
    const root = src.tree.nodes.get('')!;
    const skipped: Skipped[] = src.skipped;
    return { root: encodeNode(root), count: src.tree.nodes.size - 1, skipped };
  }

  private get scanned(): ScanResult {
    if (!this.src) throw new Error('scan the source first');
    return this.src;
  }

  list(dirs: unknown): WireChild[][] {
    return listChildren(this.scanned.tree, dirs);
  }

  chunkIds(paths: unknown): (string | null)[] {
    return chunkIdsFor(this.scanned.tree, paths);
  }

  /**
   * The source file at `rel` as the scan saw it, open (one at a time: the other side asks for a
   * file's chunks in a row). An ItemError where it changed since the scan.
   */
  private open(rel: string): SourceFile {
    if (this.file?.rel === rel) return this.file.f;
    this.closeFile();
    const src = this.scanned;
    const node = src.tree.nodes.get(rel);
    const entry = src.walk.entries.get(rel);
    if (node?.type !== 'file' || !node.chunkSize || !entry)
      throw new Error(`${rel} is no file of the source`);
    const reader = new LocalSourceReader(this.source, this.hasher!);
    let f: SourceFile;
    try {
      f = reader.open(rel, entry, node.size, node.chunkSize, chunkIdsOf(src.tree, rel));
    } catch (e) {
      if (e instanceof ItemError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw new ItemError(`it changed on the source since the plan (${code ?? 'gone'}); run again`);
    }
    this.file = { rel, f };
    return f;
  }

  private closeFile(): void {
    this.file?.f.close();
    this.file = null;
  }

  private chunkOf(rel: string, i: number): Buffer {
    const node = this.scanned.tree.nodes.get(rel);
    const f = this.open(rel);
    if (!Number.isInteger(i) || i < 0 || !node?.chunkSize || i * node.chunkSize >= node.size)
      throw new Error(`chunk ${i} of ${rel} is not in the source`);
    return Buffer.from(f.chunk(i, Buffer.allocUnsafe(node.chunkSize)));
  }

  /**
   * Chunk `i` of the source file at `rel`, checked against its id: whole, or where the other
   * side holds an old chunk at its place (`pages`: that chunk's page ids, base64) the 4 KiB pages
   * that differ from it and their indexes.
   */
  read(rel: unknown, i: unknown, pages: unknown): { pages?: number[]; bytes: Buffer } {
    const chunk = this.chunkOf(String(rel), Number(i));
    if (typeof pages !== 'string') return { bytes: chunk };
    return differingPages(this.hasher!, chunk, Buffer.from(pages, 'base64'));
  }

  /** the content-defined delta of the file asked for last, continued run after run */
  private cdcRuns: { path: string; runs: CdcRuns } | null = null;

  /**
   * Chunks `first` … `first + count - 1` of the source file at `rel` as a delta against the other
   * side's old file, whose signature is `sig`: of its content-defined chunks (`cdc`, cdc.ts;
   * sent with a file's first run, the later runs of that file continue its cut), or of its rsync
   * blocks (delta.ts, sent with every run).
   */
  delta(rel: unknown, first: unknown, count: unknown, sig: Buffer | undefined, cdc = false): Delta {
    const p = String(rel);
    const f0 = Number(first);
    const c = Number(count);
    if (!Number.isInteger(f0) || !Number.isInteger(c) || c < 1 || (!sig && !cdc))
      throw new Error('a bad delta request');
    if (cdc) {
      if (sig) {
        const node = this.scanned.tree.nodes.get(p);
        if (node?.type !== 'file' || !node.chunkSize)
          throw new Error(`${p} is no file of the source`);
        const runs = new CdcRuns(
          decodeCdcSignature(sig),
          this.hasher!,
          node.chunkSize,
          node.size,
          (i) => this.chunkOf(p, i),
        );
        this.cdcRuns = { path: p, runs };
      } else if (this.cdcRuns?.path !== p) throw new Error('a delta request without its signature');
      return this.cdcRuns!.runs.run(f0, c);
    }
    const parts: Buffer[] = [];
    for (let i = f0; i < f0 + c; i++) parts.push(this.chunkOf(p, i));
    return encodeDelta(Buffer.concat(parts), decodeSignature(sig!, 0), this.hasher!);
  }

  /** The synced attributes of each source entry at `paths` (null where out of reach). */
  xattrs(paths: unknown): (WireXattrs | null)[] {
    if (!Array.isArray(paths)) throw new Error('xattrs needs paths');
    const reader = new LocalSourceReader(this.source, this.hasher!);
    return paths.map((p) => {
      try {
        const a = reader.xattrs(String(p), this.xattrOpts);
        return a === NOT_TEXT ? null : encodeXattrs(a);
      } catch {
        return null; // gone since the scan: its item fails on the other side, "run again"
      }
    });
  }

  async close(): Promise<void> {
    this.closeFile();
    this.src = null;
    await this.pool?.close();
    this.index.close();
  }
}
