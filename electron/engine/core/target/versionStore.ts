// The pair's version store in TARGET/.tandem/versions: whatever a sync replaces or deletes is kept
// here first, one folder per run with a manifest, pruned by age. Whole entries are moved in by a
// hard link or rename (same filesystem, no copy); a patched file keeps just its replaced chunks.
import fs from 'node:fs';
import path from 'node:path';
import type { EntrySnapshot, EntryType } from '../../../shared/plan.js';

export interface VersionRecord {
  path: string;
  kind: EntryType | 'chunks';
  /** file name inside the run folder */
  stored: string;
  time: number;
  size: number;
  mtimeMs: number;
  mode: number;
  /** hex id of the kept content (the whole file's id for 'chunks': the file before the patch) */
  id: string;
  linkTarget?: string;
  chunkSize?: number;
  chunks?: number[];
}

export const DEFAULT_RETENTION_DAYS = 30;

/** What the store records about a target entry that a plan showed (its snapshot). */
export function versionMeta(
  t: EntrySnapshot,
): Omit<VersionRecord, 'path' | 'stored' | 'time' | 'kind'> {
  return {
    size: t.size,
    mtimeMs: t.mtimeMs,
    mode: t.mode,
    id: t.id,
    ...(t.linkTarget !== undefined ? { linkTarget: t.linkTarget } : {}),
  };
}

export class VersionStore {
  private runDir: string | null = null;
  private manifestFd: number | null = null;
  private seq = 0;
  bytesWritten = 0;

  constructor(private readonly dir: string) {}

  private ensureRun(): string {
    if (!this.runDir) {
      fs.mkdirSync(this.dir, { recursive: true });
      // A run is its own folder even when two start in the same millisecond: the name is
      // time-ordered for people and made unique by mkdtemp's suffix.
      const prefix = new Date().toISOString().replace(/[:.]/g, '-') + '-' + process.pid + '-';
      this.runDir = fs.mkdtempSync(path.join(this.dir, prefix));
      this.manifestFd = fs.openSync(path.join(this.runDir, 'manifest.jsonl'), 'a');
    }
    return this.runDir;
  }

  /** The run folder's name, once something was kept. */
  get run(): string | null {
    return this.runDir ? path.basename(this.runDir) : null;
  }

  private record(r: VersionRecord): void {
    const line = JSON.stringify(r) + '\n';
    fs.writeSync(this.manifestFd!, line);
    this.bytesWritten += Buffer.byteLength(line);
  }

  /** Keeps an existing target file or symlink by hard-linking it into the store (no bytes copied). */
  keepEntry(
    absPath: string,
    rel: string,
    meta: Omit<VersionRecord, 'path' | 'stored' | 'time' | 'kind'>,
    type: EntryType,
  ): { run: string; stored: string } {
    const run = this.ensureRun();
    const stored = `${++this.seq}`;
    const dest = path.join(run, stored);
    if (type === 'symlink') {
      fs.symlinkSync(meta.linkTarget ?? fs.readlinkSync(absPath), dest);
    } else {
      try {
        fs.linkSync(absPath, dest);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP')
          throw e;
        fs.copyFileSync(absPath, dest);
        this.bytesWritten += meta.size;
      }
    }
    this.record({ ...meta, path: rel, kind: type, stored, time: Date.now() });
    return { run: path.basename(run), stored };
  }

  /**
   * Keeps a patch's undo journal as the version of what the patch replaced (moved in by a
   * rename; its format is the journal's, read back with readJournal).
   */
  adoptJournal(
    journalFile: string,
    rel: string,
    meta: Omit<VersionRecord, 'path' | 'stored' | 'time' | 'kind'>,
  ): void {
    const run = this.ensureRun();
    const stored = `${++this.seq}.chunks`;
    fs.renameSync(journalFile, path.join(run, stored));
    this.record({ ...meta, path: rel, kind: 'chunks', stored, time: Date.now() });
  }

  /** Makes the manifest durable (the kept files themselves are flushed with the batch). */
  sync(): void {
    if (this.manifestFd !== null) fs.fsyncSync(this.manifestFd);
  }

  close(): void {
    if (this.manifestFd !== null) fs.closeSync(this.manifestFd);
    this.manifestFd = null;
  }

  /** Removes runs older than `days`. */
  static prune(dir: string, days: number, now = Date.now()): number {
    let removed = 0;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      return 0;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      const st = fs.lstatSync(p);
      if (st.isDirectory() && now - st.mtimeMs > days * 86_400_000) {
        fs.rmSync(p, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  /** Every version kept for `rel`, newest first. */
  static list(dir: string, rel: string): (VersionRecord & { run: string })[] {
    const out: (VersionRecord & { run: string })[] = [];
    let runs: string[];
    try {
      runs = fs.readdirSync(dir);
    } catch {
      return out;
    }
    for (const run of runs) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(dir, run, 'manifest.jsonl'), 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as VersionRecord;
          if (r.path === rel) out.push({ ...r, run });
        } catch {
          /* a torn last line after a crash: the entries before it are intact */
        }
      }
    }
    return out.sort((a, b) => b.time - a.time);
  }
}
