// Guarded writes below the target root: no write follows a symlink (every folder on the way is
// checked with lstat), every entry must still be what the scan saw before it is replaced, and
// temp and journal files get short generated names inside TARGET/.tandem.
import fs from 'node:fs';
import path from 'node:path';
import type { PlanItem } from '../../../shared/plan.js';
import { versionMeta, type VersionStore } from './versionStore.js';
import { sameEntry, type WalkEntry } from '../scan/walk.js';

/** An item-level failure with a sentence for the user; the run goes on with the other items. */
export class ItemError extends Error {}

export class TargetWriter {
  private readonly checkedDirs = new Set<string>(['']);
  private readonly made: string[] = [];
  private seq = 0;
  private tmpReady = false;
  private journalReady = false;

  constructor(
    private readonly root: string,
    private readonly stateDir: string,
    private readonly scanned: ReadonlyMap<string, WalkEntry>,
  ) {}

  abs(rel: string): string {
    return path.join(this.root, rel);
  }

  lstatOrNull(rel: string): fs.Stats | null {
    try {
      return fs.lstatSync(this.abs(rel));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Every folder between the root and `rel` must be a real folder, not a symlink. */
  checkParents(rel: string): void {
    const parts = rel.split('/');
    let cur = '';
    for (let i = 0; i < parts.length - 1; i++) {
      cur = cur ? `${cur}/${parts[i]}` : parts[i]!;
      if (this.checkedDirs.has(cur)) continue;
      const st = this.lstatOrNull(cur);
      if (!st) throw new ItemError(`its folder ${cur} is missing on the target`);
      if (st.isSymbolicLink())
        throw new ItemError(`a symlink is in the way at ${cur}; nothing was written through it`);
      if (!st.isDirectory()) throw new ItemError(`${cur} is not a folder on the target`);
      this.checkedDirs.add(cur);
    }
  }

  expectAbsent(rel: string): void {
    if (this.lstatOrNull(rel))
      throw new ItemError('appeared on the target since it was compared; run again');
  }

  /**
   * Checks the target entry is still what the scan saw and keeps it in the version store. A folder
   * (emptied by the plan's earlier deletions) is removed; a file or symlink is removed only when
   * `unlink` is set, since a rename over it replaces it atomically.
   */
  removeInTheWay(it: PlanItem, versions: VersionStore, unlink: boolean): void {
    const t = it.target!;
    const seen = this.scanned.get(it.path);
    const st = this.lstatOrNull(it.path);
    if (!seen || !st || !sameEntry(st, seen)) {
      throw new ItemError('changed on the target since it was compared; run again');
    }
    if (t.type === 'dir') {
      try {
        fs.rmdirSync(this.abs(it.path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOTEMPTY')
          throw new ItemError('the folder it replaces still holds entries that were not removed');
        throw e;
      }
      this.checkedDirs.delete(it.path);
      return;
    }
    versions.keepEntry(this.abs(it.path), it.path, versionMeta(t), t.type);
    if (unlink) fs.unlinkSync(this.abs(it.path));
  }

  /** Opens an existing entry without following a symlink, checking it is what the scan saw. */
  openExpected(rel: string, seen: WalkEntry): number {
    this.checkParents(rel);
    const fd = fs.openSync(this.abs(rel), fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    if (!sameEntry(fs.fstatSync(fd), seen)) {
      fs.closeSync(fd);
      throw new ItemError('changed on the target since it was compared; run again');
    }
    return fd;
  }

  madeDir(rel: string): void {
    this.made.push(rel);
    this.checkedDirs.add(rel);
  }

  createdDirs(): string[] {
    return this.made;
  }

  tempPath(): string {
    const dir = path.join(this.stateDir, 'tmp');
    if (!this.tmpReady) {
      fs.mkdirSync(dir, { recursive: true });
      this.tmpReady = true;
    }
    return path.join(dir, `${process.pid}-${++this.seq}`);
  }

  journalPath(): string {
    const dir = path.join(this.stateDir, 'journal');
    if (!this.journalReady) {
      fs.mkdirSync(dir, { recursive: true });
      this.journalReady = true;
    }
    return path.join(dir, `${process.pid}-${++this.seq}.jnl`);
  }
}
