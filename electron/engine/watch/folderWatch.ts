// One side's watcher that costs per folder, not per file: a non-recursive fs.watch on every
// folder (on Linux one inotify watch each, the kernel's events named by the folder they are in),
// and nothing held per file. parcel keeps a tree of every entry it watches (about 250 bytes an
// entry a side, 500 MB for a pair of a million files a side); 10,000 fs.watch handles are about
// 18 MiB. Names arrive as bytes and become engine names (byteNames), so a name that is not UTF-8
// is reported as itself, not as its folder.
//
// What an event means is read off the disk, not off the event: for each named entry one lstat
// says whether it is there and what it is. A folder that appears is watched with everything
// below it before it is reported (addDir), so whatever lands in it after that is seen, and what
// landed before is listed by the cycle that the addDir starts (a folder on one side only is
// listed whole). A folder that goes is unwatched with everything below it (unlinkDir). inotify
// follows a folder's inode, so a moved folder is unwatched at its old path and watched at its new.
import fs from 'node:fs';
import path from 'node:path';
import { decodeName, osPath } from '../core/runtime/byteNames.js';
import { STATE_DIR, makeIgnore } from '../core/scan/walk.js';
import type { WatchEventKind } from './coalesceEvents.js';

export type IgnoreRule = (rel: string, isDir: boolean) => boolean;

/** The walk's rules for what a watcher skips: the pair's patterns, and `.tandem` at a root. */
export function watchIgnoreRule(patterns: readonly string[] | undefined): IgnoreRule {
  const ig = patterns?.length ? makeIgnore(patterns) : null;
  return (rel, isDir) => {
    if (rel === '') return false;
    if (rel === STATE_DIR || rel.startsWith(`${STATE_DIR}/`)) return true;
    return ig !== null && ig.ignores(isDir ? `${rel}/` : rel);
  };
}

export interface FolderWatchOutput {
  event(kind: WatchEventKind, rel: string): void;
  /** a folder could not be watched or its watch failed: the side must be listed again */
  error(e: NodeJS.ErrnoException): void;
}

type Kind = 'missing' | 'dir' | 'entry';

/** Codes of a folder that went away or cannot be read: nothing there to watch. */
const GONE = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM']);

export class FolderWatch {
  /**
   * Folders by their path in the side ('' the root), with their watch; null where the watch
   * ended (the folder was removed) before its parent's event said so: it is still known as a
   * folder, so that event is reported as a folder's removal.
   */
  private readonly watchers = new Map<string, fs.FSWatcher | null>();
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly isIgnored: IgnoreRule,
    private readonly out: FolderWatchOutput,
  ) {}

  /** Watches the root and every folder below it that is not ignored; throws where the root cannot be. */
  start(): void {
    this.watchTree('', true);
  }

  /** How many folders are watched. */
  get size(): number {
    let n = 0;
    for (const w of this.watchers.values()) if (w) n++;
    return n;
  }

  close(): void {
    this.closed = true;
    for (const w of this.watchers.values()) w?.close();
    this.watchers.clear();
  }

  private abs(rel: string): string | Buffer {
    return osPath(rel ? path.join(this.root, rel) : this.root);
  }

  /** Watches `rel` and the folders below it, each watched before it is read. */
  private watchTree(rel: string, isRoot = false): void {
    const stack = [rel];
    for (let dir = stack.pop(); dir !== undefined; dir = stack.pop()) {
      if (this.closed) return;
      if (!this.watchOne(dir, isRoot && dir === rel)) continue;
      let names: fs.Dirent<Buffer>[];
      try {
        names = fs.readdirSync(this.abs(dir), { withFileTypes: true, encoding: 'buffer' });
      } catch (e) {
        if (isRoot && dir === rel) throw e;
        continue; // gone or unreadable since it was watched: its parent's events say the rest
      }
      for (const d of names) {
        if (!d.isDirectory()) continue;
        const child = dir ? `${dir}/${decodeName(d.name)}` : decodeName(d.name);
        if (!this.isIgnored(child, true)) stack.push(child);
      }
    }
  }

  private watchOne(rel: string, must: boolean): boolean {
    if (this.watchers.has(rel)) return true;
    let w: fs.FSWatcher;
    try {
      w = fs.watch(this.abs(rel), { encoding: 'buffer', persistent: true }, (type, name) =>
        this.onEvent(rel, type, name),
      );
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (must || !GONE.has(err.code ?? '')) {
        if (must) throw err;
        this.out.error(err); // ENOSPC, EMFILE: the side cannot be watched whole
      }
      return false;
    }
    w.on('error', (e: NodeJS.ErrnoException) => {
      // A watched folder removed ends its watch; its parent's event reports the removal.
      if (!this.closed && this.kindOf(rel) !== 'missing') this.out.error(e);
      this.endWatch(rel);
    });
    this.watchers.set(rel, w);
    return true;
  }

  /** Ends one folder's watch and keeps it known as a folder until its parent reports it. */
  private endWatch(rel: string): void {
    const w = this.watchers.get(rel);
    if (!w) return;
    w.close();
    this.watchers.set(rel, null);
  }

  /** Stops watching `rel` and every folder below it, and forgets them. */
  private dropTree(rel: string): void {
    const prefix = rel ? `${rel}/` : '';
    for (const [p, w] of this.watchers)
      if (p === rel || p.startsWith(prefix)) {
        w?.close();
        this.watchers.delete(p);
      }
  }

  private kindOf(rel: string): Kind {
    try {
      return fs.lstatSync(this.abs(rel)).isDirectory() ? 'dir' : 'entry';
    } catch {
      return 'missing';
    }
  }

  private onEvent(dir: string, type: string, name: Buffer | string | null): void {
    if (this.closed) return;
    if (name === null || name.length === 0) {
      // No name (the kernel did not say): the folder itself is what changed.
      this.out.event('change', dir);
      return;
    }
    const base = typeof name === 'string' ? name : decodeName(name);
    // An event on the watched folder itself (its mode changed, it was moved or removed) carries
    // the folder's own name. Where the folder is gone, its parent's event says so; where it is
    // there, it is reported as changed, and the name is also taken as a child's (a child of the
    // same name cannot be told from the folder: an extra path to look at costs one lstat).
    const own = dir ? dir.slice(dir.lastIndexOf('/') + 1) : path.basename(this.root);
    if (base === own) {
      if (this.kindOf(dir) !== 'dir') return this.endWatch(dir);
      this.out.event('change', dir);
    }
    const rel = dir ? `${dir}/${base}` : base;
    const kind = this.kindOf(rel);
    const watched = this.watchers.has(rel);
    if (this.isIgnored(rel, kind === 'dir' || (kind === 'missing' && watched))) return;
    if (kind === 'missing') {
      if (watched) {
        this.dropTree(rel);
        this.out.event('unlinkDir', rel);
      } else this.out.event('unlink', rel);
      return;
    }
    if (kind === 'dir') {
      if (type === 'change' && watched) {
        this.out.event('change', rel); // its mode or times
        return;
      }
      // New, moved in, or put in the place of another: watch what is there now, then report it.
      if (watched) this.dropTree(rel);
      this.watchTree(rel);
      this.out.event('addDir', rel);
      return;
    }
    if (watched) {
      // A folder replaced by a file or link.
      this.dropTree(rel);
      this.out.event('unlinkDir', rel);
      this.out.event('add', rel);
      return;
    }
    this.out.event(type === 'rename' ? 'add' : 'change', rel);
  }
}
