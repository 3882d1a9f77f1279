// The pair's version store in TARGET/.tandem/versions: whatever a sync replaces or deletes is kept
// here first, one folder per run with a manifest, pruned by age. Whole entries are moved in by a
// hard link (same filesystem, no copy); a patched file keeps just its replaced chunks. Everything
// goes through the target's door (TargetFs), so the store can never be reached through a link.
import crypto from 'node:crypto';
import type { EntrySnapshot, EntryType } from '../../../shared/plan.js';
import { ensureStateDir, readTargetFile, removeTree, VERSIONS_DIR } from './stateFolder.js';
import { readAll, writeAll, type TargetFile, type TargetFs } from './targetFs.js';

/** What the store can keep: special files hold no bytes and are never kept. */
export type KeptType = Exclude<EntryType, 'special'>;

export interface VersionRecord {
  path: string;
  kind: KeptType | 'chunks';
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

export type VersionMeta = Omit<VersionRecord, 'path' | 'stored' | 'time' | 'kind'>;

export const DEFAULT_RETENTION_DAYS = 30;

/** What the store records about a target entry that a plan showed (its snapshot). */
export function versionMeta(t: EntrySnapshot): VersionMeta {
  return {
    size: t.size,
    mtimeMs: t.mtimeMs,
    mode: t.mode,
    id: t.id,
    ...(t.linkTarget !== undefined ? { linkTarget: t.linkTarget } : {}),
  };
}

export class VersionStore {
  private runRel: string | null = null;
  private manifest: TargetFile | null = null;
  private manifestSize = 0;
  private seq = 0;
  bytesWritten = 0;

  constructor(private readonly t: TargetFs) {}

  private ensureRun(): string {
    if (!this.runRel) {
      ensureStateDir(this.t, VERSIONS_DIR, true);
      // A run is its own folder even when two start in the same millisecond: the name is
      // time-ordered for people and made unique by a random suffix.
      const prefix = new Date().toISOString().replace(/[:.]/g, '-') + '-' + process.pid + '-';
      for (;;) {
        const rel = `${VERSIONS_DIR}/${prefix}${crypto.randomBytes(4).toString('hex')}`;
        try {
          this.t.mkdir(rel, 0o700);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
          throw e;
        }
        this.runRel = rel;
        break;
      }
      this.manifest = this.t.create(`${this.runRel}/manifest.jsonl`, 0o600);
    }
    return this.runRel;
  }

  /** The run folder's name, once something was kept. */
  get run(): string | null {
    return this.runRel ? this.runRel.slice(VERSIONS_DIR.length + 1) : null;
  }

  /** The run folder, relative to the target root, once something was kept. */
  get runFolder(): string | null {
    return this.runRel;
  }

  private record(r: VersionRecord): void {
    const line = Buffer.from(JSON.stringify(r) + '\n');
    let done = 0;
    while (done < line.length)
      done += this.manifest!.write(line, done, line.length - done, this.manifestSize + done);
    this.manifestSize += line.length;
    this.bytesWritten += line.length;
  }

  /** Keeps an existing target file or symlink by hard-linking it into the store (no bytes copied). */
  keepEntry(rel: string, meta: VersionMeta, type: KeptType): { run: string; stored: string } {
    const run = this.ensureRun();
    const stored = `${++this.seq}`;
    const dest = `${run}/${stored}`;
    if (type === 'symlink') this.t.symlink(meta.linkTarget ?? this.t.readlink(rel), dest);
    else {
      try {
        this.t.link(rel, dest);
      } catch (e) {
        // Filesystems without hard links (FAT, exFAT, some network shares) get a copy.
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP' && code !== 'EXDEV')
          throw e;
        this.bytesWritten += copyTargetFile(this.t, rel, dest);
      }
    }
    this.record({ ...meta, path: rel, kind: type, stored, time: Date.now() });
    return { run: this.run!, stored };
  }

  /**
   * Keeps a patch's undo journal as the version of what the patch replaced (moved in by a
   * rename; its format is the journal's, read back with readJournal).
   */
  adoptJournal(journalRel: string, rel: string, meta: VersionMeta): void {
    const run = this.ensureRun();
    const stored = `${++this.seq}.chunks`;
    this.t.rename(journalRel, `${run}/${stored}`);
    this.record({ ...meta, path: rel, kind: 'chunks', stored, time: Date.now() });
  }

  /** Makes the manifest durable (the kept files themselves are flushed with the batch). */
  sync(): void {
    this.manifest?.sync();
  }

  close(): void {
    this.manifest?.close();
    this.manifest = null;
  }

  /** Removes runs older than `days`. */
  static prune(t: TargetFs, days: number, now = Date.now()): number {
    if (!ensureStateDir(t, VERSIONS_DIR, false)) return 0;
    let removed = 0;
    for (const n of t.readdir(VERSIONS_DIR)) {
      const rel = `${VERSIONS_DIR}/${n}`;
      const st = t.lstat(rel);
      if (st?.type === 'dir' && now - st.mtimeMs > days * 86_400_000) {
        removeTree(t, rel);
        removed++;
      }
    }
    return removed;
  }

  /** Every version kept for `rel`, newest first. */
  static list(t: TargetFs, rel: string): (VersionRecord & { run: string })[] {
    const out: (VersionRecord & { run: string })[] = [];
    if (!ensureStateDir(t, VERSIONS_DIR, false)) return out;
    for (const run of t.readdir(VERSIONS_DIR)) {
      let text: string;
      try {
        text = readTargetFile(t, `${VERSIONS_DIR}/${run}/manifest.jsonl`).toString('utf8');
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

/** Copies a target file to a new name beside it (through the door); returns the bytes copied. */
function copyTargetFile(t: TargetFs, from: string, to: string): number {
  const src = t.openRead(from);
  try {
    const out = t.create(to, 0o600);
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      let pos = 0;
      for (;;) {
        const n = readAll(src, buf, buf.length, pos);
        if (n === 0) break;
        writeAll(out, buf.subarray(0, n), pos);
        pos += n;
      }
      out.sync();
      return pos;
    } finally {
      out.close();
    }
  } finally {
    src.close();
  }
}
