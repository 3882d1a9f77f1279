// The one door to the target: every write below the target root, and every read that decides
// one, goes through a TargetFs rooted there — apply, journal recovery, the version store, restore,
// temp files and the pair's state folder `.tandem/`. Paths are relative to the root with `/`
// separators ('' is the root). Before any use of a path, every folder between the root and it is
// checked with lstat to be a real folder (no write ever follows a symlink, `.tandem` included),
// and files are opened with O_NOFOLLOW (created ones with O_EXCL as well).
//
// Two implementations: NodeTargetFs (the real filesystem) and, for unit tests of the paths this
// kernel cannot produce (case folding, Unicode normalisation, a full disk), an in-memory fake in
// electron/testing/memoryTargetFs.ts. Syncthing's lib/fs Filesystem interface is the model.
import fs from 'node:fs';
import path from 'node:path';
import { mtimeInBucket, mtimeKey, sameMtime } from '../hash/identifiers.js';
import { flushFilesystem, fsyncDir } from './durability.js';
import { NOT_TEXT, NOT_TEXT_REASON, withTextPath, xattrModule } from '../scan/xattrs.js';
import { listNames, osPath, readLinkText } from '../runtime/byteNames.js';

/** What an entry on the target is, as far as a write needs to know. */
export type TargetEntryType = 'file' | 'dir' | 'symlink' | 'special';

export interface TargetStat {
  type: TargetEntryType;
  /** a file's size; 0 for everything else */
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  mode: number;
  nlink: number;
}

/** An open file on the target. Offsets are absolute; reads and writes may be short. */
export interface TargetFile {
  read(buf: Buffer, offset: number, length: number, position: number): number;
  write(buf: Buffer, offset: number, length: number, position: number): number;
  stat(): TargetStat;
  truncate(size: number): void;
  chmod(mode: number): void;
  /** sets atime and mtime */
  setMtime(mtimeMs: number): void;
  sync(): void;
  close(): void;
}

/**
 * A path below the target that cannot be used as asked: a symlink or a non-folder where a folder
 * must be. An item fails with this message; nothing was written through the path.
 */
export class TargetPathError extends Error {}

export interface TargetFs {
  /** the root as the user knows it, for messages and for tools that need a real path */
  readonly root: string;
  /** null when nothing is at `rel` (or a folder on the way is missing) */
  lstat(rel: string): TargetStat | null;
  readdir(rel: string): string[];
  readlink(rel: string): string;
  /** creates one folder (never exists already); its parent must be a real folder */
  mkdir(rel: string, mode: number): void;
  rmdir(rel: string): void;
  unlink(rel: string): void;
  rename(from: string, to: string): void;
  /** a hard link: `to` names the same file as `from` */
  link(from: string, to: string): void;
  symlink(linkText: string, rel: string): void;
  openRead(rel: string): TargetFile;
  openReadWrite(rel: string): TargetFile;
  /** creates a new file exclusively (never through a link, never over an existing name) */
  create(rel: string, mode: number, readBack?: boolean): TargetFile;
  /** mode bits of a folder (files are changed through their open handle; links have none) */
  chmodDir(rel: string, mode: number): void;
  /** mtime of a folder or a symlink itself (never what a link points to) */
  setMtime(rel: string, mtimeMs: number): void;
  /** makes the names created, renamed or removed in these folders durable */
  fsyncDirs(rels: Iterable<string>): void;
  /** makes these files' data and these folders' names durable, in as few round trips as it can */
  flush(files: readonly string[], dirs: readonly string[]): void;
  /** bytes free for an unprivileged writer, or null where the platform cannot tell */
  freeBytes(): number | null;
  /** owner and group of the entry itself (lchown: never what a link points to) */
  chown(rel: string, uid: number, gid: number): void;
  /** extended attributes of the entry itself (never of what a link points to) */
  listXattrs(rel: string): string[];
  getXattr(rel: string, name: string): Buffer | null;
  setXattr(rel: string, name: string, value: Buffer): void;
  removeXattr(rel: string, name: string): void;
}

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
/**
 * Where the door puts a text-named hard link to a file whose name is not UTF-8 (withTextPath):
 * stateFolder's TMP_DIR, spelled out because stateFolder imports this module.
 */
const TEXT_LINK_DIR = '.tandem/tmp';
let textLinkSeq = 0;

function typeOf(st: fs.Stats): TargetEntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  return 'special';
}

export function toTargetStat(st: fs.Stats): TargetStat {
  const type = typeOf(st);
  return {
    type,
    size: type === 'file' ? st.size : 0,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    ino: st.ino,
    mode: st.mode & 0o7777,
    nlink: st.nlink,
  };
}

class NodeTargetFile implements TargetFile {
  constructor(private fd: number) {}
  read(buf: Buffer, offset: number, length: number, position: number): number {
    return fs.readSync(this.fd, buf, offset, length, position);
  }
  write(buf: Buffer, offset: number, length: number, position: number): number {
    return fs.writeSync(this.fd, buf, offset, length, position);
  }
  stat(): TargetStat {
    return toTargetStat(fs.fstatSync(this.fd));
  }
  truncate(size: number): void {
    fs.ftruncateSync(this.fd, size);
  }
  chmod(mode: number): void {
    fs.fchmodSync(this.fd, mode);
  }
  setMtime(mtimeMs: number): void {
    fs.futimesSync(this.fd, mtimeMs / 1000, mtimeMs / 1000);
  }
  sync(): void {
    fs.fsyncSync(this.fd);
  }
  close(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * The real filesystem. Folders already checked are remembered until something below the root is
 * removed or renamed, so a batch of writes into one folder costs one lstat per folder, not one per
 * write and level. (A folder swapped for a link between the check and the write by another
 * process is the one race left: Node has no openat(); ARCHITECTURE.md says why that is accepted.)
 */
export class NodeTargetFs implements TargetFs {
  private readonly checked = new Set<string>(['']);
  private readonly rootSep: string;

  constructor(readonly root: string) {
    this.rootSep = root.endsWith(path.sep) ? root : root + path.sep;
  }

  /** The absolute path of `rel` once every folder above it is known to be a real folder. */
  private abs(rel: string, parentsMayBeMissing = false): string | null {
    if (rel === '') return this.root;
    if (!isPlainRel(rel)) throw new TargetPathError(`'${rel}' is not a path inside the target`);
    let i = rel.indexOf('/');
    while (i >= 0) {
      const dir = rel.slice(0, i);
      if (!this.checked.has(dir)) {
        let st: fs.Stats;
        try {
          st = fs.lstatSync(osPath(this.rootSep + dir));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT' && parentsMayBeMissing) return null;
          throw e;
        }
        if (st.isSymbolicLink())
          throw new TargetPathError(
            `a symlink is in the way at ${dir}; nothing was written through it`,
          );
        if (!st.isDirectory()) throw new TargetPathError(`${dir} is not a folder on the target`);
        this.checked.add(dir);
      }
      i = rel.indexOf('/', i + 1);
    }
    return this.rootSep + rel;
  }

  /** `rel`'s absolute path as fs takes it: its exact bytes where it is not UTF-8. */
  private path(rel: string): string | Buffer {
    return osPath(this.abs(rel)!);
  }

  /** A removed or renamed folder (and everything below it) must be checked again. */
  private forget(rel: string): void {
    if (rel === '') return;
    const prefix = rel + '/';
    for (const d of this.checked) if (d === rel || d.startsWith(prefix)) this.checked.delete(d);
  }

  lstat(rel: string): TargetStat | null {
    const p = this.abs(rel, true);
    if (p === null) return null;
    try {
      return toTargetStat(fs.lstatSync(osPath(p)));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return null;
      throw e;
    }
  }
  readdir(rel: string): string[] {
    return listNames(this.abs(rel)!);
  }
  readlink(rel: string): string {
    return readLinkText(this.abs(rel)!);
  }
  mkdir(rel: string, mode: number): void {
    fs.mkdirSync(this.path(rel), { mode });
  }
  rmdir(rel: string): void {
    fs.rmdirSync(this.path(rel));
    this.forget(rel);
  }
  unlink(rel: string): void {
    fs.unlinkSync(this.path(rel));
  }
  rename(from: string, to: string): void {
    fs.renameSync(this.path(from), this.path(to));
    this.forget(from);
    this.forget(to);
  }
  link(from: string, to: string): void {
    fs.linkSync(this.path(from), this.path(to));
  }
  symlink(linkText: string, rel: string): void {
    fs.symlinkSync(osPath(linkText), this.path(rel));
  }
  openRead(rel: string): TargetFile {
    return new NodeTargetFile(fs.openSync(this.path(rel), fs.constants.O_RDONLY | NOFOLLOW));
  }
  openReadWrite(rel: string): TargetFile {
    return new NodeTargetFile(fs.openSync(this.path(rel), fs.constants.O_RDWR | NOFOLLOW));
  }
  create(rel: string, mode: number, readBack = false): TargetFile {
    const access = readBack ? fs.constants.O_RDWR : fs.constants.O_WRONLY;
    return new NodeTargetFile(
      fs.openSync(
        this.path(rel),
        access | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW,
        mode,
      ),
    );
  }
  chmodDir(rel: string, mode: number): void {
    const p = this.path(rel);
    // Opened as a folder without following a link, so the mode lands on this folder only.
    const fd = fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY | NOFOLLOW);
    try {
      fs.fchmodSync(fd, mode);
    } finally {
      fs.closeSync(fd);
    }
  }
  setMtime(rel: string, mtimeMs: number): void {
    fs.lutimesSync(this.path(rel), mtimeMs / 1000, mtimeMs / 1000);
  }
  fsyncDirs(rels: Iterable<string>): void {
    for (const d of new Set(rels)) fsyncDir(this.path(d));
  }
  flush(files: readonly string[], dirs: readonly string[]): void {
    flushFilesystem(this.root, {
      files: files.map((f) => this.path(f)),
      dirs: [...new Set(dirs)].map((d) => this.path(d)),
    });
  }
  freeBytes(): number | null {
    try {
      const st = fs.statfsSync(this.root);
      return st.bavail * st.bsize;
    } catch {
      return null;
    }
  }
  private xattr(): NonNullable<ReturnType<typeof xattrModule>> {
    const x = xattrModule();
    if (!x) throw new Error('extended attributes are not supported on this platform');
    return x;
  }
  chown(rel: string, uid: number, gid: number): void {
    fs.lchownSync(this.path(rel), uid, gid);
  }
  listXattrs(rel: string): string[] {
    return this.withTextPath(rel, (p) => this.xattr().listAttributesSync(p));
  }
  getXattr(rel: string, name: string): Buffer | null {
    return this.withTextPath(rel, (p) => this.xattr().getAttributeSync(p, name));
  }
  setXattr(rel: string, name: string, value: Buffer): void {
    this.withTextPath(rel, (p) => this.xattr().setAttributeSync(p, name, value));
  }
  removeXattr(rel: string, name: string): void {
    this.withTextPath(rel, (p) => this.xattr().removeAttributeSync(p, name));
  }
  private withTextPath<T>(rel: string, fn: (p: string) => T): T {
    const r = withTextPath(this.abs(rel)!, fn);
    if (r !== NOT_TEXT) return r;
    // A file whose own name is not UTF-8: named through a hard link with a text name in the
    // target's own temp folder (the same filesystem), removed again at once.
    if (this.lstat(rel)?.type !== 'file') throw new Error(NOT_TEXT_REASON);
    if (!this.lstat(TEXT_LINK_DIR)) this.mkdir(TEXT_LINK_DIR, 0o700);
    const link = `${TEXT_LINK_DIR}/xattr-${process.pid}-${++textLinkSeq}`;
    this.link(rel, link);
    try {
      return fn(this.abs(link)!);
    } finally {
      this.unlink(link);
    }
  }
}

/** A relative path of plain names: no '', '.' or '..' segment, no leading '/', no NUL. */
export function isPlainRel(rel: string): boolean {
  if (rel.startsWith('/') || rel.includes('\0')) return false;
  if (!rel.includes('.') && !rel.includes('//') && !rel.endsWith('/')) return true;
  return rel.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

/** Reads exactly `len` bytes at `pos` unless the file ends first; returns the count read. */
export function readAll(f: TargetFile, buf: Buffer, len: number, pos: number): number {
  let done = 0;
  while (done < len) {
    const n = f.read(buf, done, len - done, pos + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/** Writes all of `buf` at `pos`. */
export function writeAll(f: TargetFile, buf: Buffer, pos: number): void {
  let done = 0;
  while (done < buf.length) done += f.write(buf, done, buf.length - done, pos + done);
}

/**
 * Sets an mtime so that it reads back in the same granularity bucket as `mtimeMs` (sameMtime):
 * through an open file, or (`rel`) on a folder or link itself.
 */
export function setMtimeInBucket(
  target: TargetFile | { t: TargetFs; rel: string },
  mtimeMs: number,
  granularityMs: number,
): void {
  const set = (ms: number): void =>
    't' in target ? target.t.setMtime(target.rel, ms) : target.setMtime(ms);
  set(mtimeMs);
  // Only a time within a microsecond of its bucket's edge can be moved across it by the double
  // of seconds Node sets it through; reading every other one back would cost a stat per file.
  const offset = mtimeMs - mtimeKey(mtimeMs, granularityMs) * granularityMs;
  if (offset > EDGE_MS && granularityMs - offset > EDGE_MS) return;
  const got = 't' in target ? target.t.lstat(target.rel)!.mtimeMs : target.stat().mtimeMs;
  if (!sameMtime(got, mtimeMs, granularityMs)) set(mtimeInBucket(mtimeMs, granularityMs));
}

/** How near a bucket's edge a time must be to be read back after it is set (1 µs). */
const EDGE_MS = 0.001;
