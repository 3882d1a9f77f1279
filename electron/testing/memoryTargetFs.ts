// An in-memory TargetFs for unit tests of what this kernel's ext4 cannot do: fold case (macOS,
// Windows), normalise Unicode (macOS), run out of space at a chosen byte, or fail one call with a
// chosen error, or refuse names that are not UTF-8 (macOS, exFAT). Syncthing's fakefs and casefs wrappers are the model. Names keep the spelling they
// were created with; lookups go by the folded key, as on a real folding filesystem.
import {
  TargetPathError,
  type TargetEntryType,
  type TargetFile,
  type TargetFs,
  type TargetStat,
} from '../engine/core/target/targetFs.js';

export interface MemoryTargetFsOptions {
  foldCase?: boolean;
  normalizeUnicode?: boolean;
  /** refuse names that are not valid UTF-8 with EILSEQ, as APFS and exFAT do */
  textOnly?: boolean;
  /** total bytes of file data it holds before writes fail with ENOSPC */
  capacityBytes?: number;
  /** returns an error code to fail a call with (ENOSPC, EIO, …), or null to let it run */
  fault?: (op: string, rel: string) => string | null;
}

interface MemNode {
  type: TargetEntryType;
  ino: number;
  mode: number;
  mtimeMs: number;
  ctimeMs: number;
  nlink: number;
  data: Buffer;
  linkText: string;
  children: Map<string, { name: string; node: MemNode }>;
  xattrs: Map<string, Buffer>;
}

function errno(code: string, op: string, rel: string): NodeJS.ErrnoException {
  const e = new Error(`${code}: ${op} '${rel}'`) as NodeJS.ErrnoException;
  e.code = code;
  return e;
}

export class MemoryTargetFs implements TargetFs {
  readonly root = '/memory-target';
  private nextIno = 2;
  private used = 0;
  private clock = 1_700_000_000_000;
  private readonly top: MemNode;

  constructor(private readonly opts: MemoryTargetFsOptions = {}) {
    this.top = this.node('dir', 0o755);
  }

  /** Lets a test change the rules after set-up (e.g. free space, then rerun). */
  set capacityBytes(n: number | undefined) {
    this.opts.capacityBytes = n;
  }

  get usedBytes(): number {
    return this.used;
  }

  private now(): number {
    return (this.clock += 1000);
  }

  private node(type: TargetEntryType, mode: number): MemNode {
    const t = this.now();
    return {
      type,
      ino: this.nextIno++,
      mode,
      mtimeMs: t,
      ctimeMs: t,
      nlink: 1,
      data: Buffer.alloc(0),
      linkText: '',
      children: new Map(),
      xattrs: new Map(),
    };
  }

  private key(name: string): string {
    let k = name;
    if (this.opts.normalizeUnicode) k = k.normalize('NFC');
    if (this.opts.foldCase) k = k.toLowerCase();
    return k;
  }

  private check(op: string, rel: string): void {
    const code = this.opts.fault?.(op, rel);
    if (code) throw errno(code, op, rel);
  }

  /** The folder holding `rel` and the entry's name; throws where a link or file is on the way. */
  private parent(rel: string, op: string): { dir: MemNode; name: string } {
    if (rel === '') throw errno('EINVAL', op, rel);
    const parts = rel.split('/');
    let dir = this.top;
    for (let i = 0; i < parts.length - 1; i++) {
      const e = dir.children.get(this.key(parts[i]!));
      const at = parts.slice(0, i + 1).join('/');
      if (!e) throw errno('ENOENT', op, rel);
      if (e.node.type === 'symlink')
        throw new TargetPathError(
          `a symlink is in the way at ${at}; nothing was written through it`,
        );
      if (e.node.type !== 'dir') throw new TargetPathError(`${at} is not a folder on the target`);
      dir = e.node;
    }
    return { dir, name: parts[parts.length - 1]! };
  }

  private get(rel: string, op: string): MemNode {
    if (rel === '') return this.top;
    const { dir, name } = this.parent(rel, op);
    const e = dir.children.get(this.key(name));
    if (!e) throw errno('ENOENT', op, rel);
    return e.node;
  }

  private put(rel: string, n: MemNode, op: string): void {
    const { dir, name } = this.parent(rel, op);
    if (this.opts.textOnly && !name.isWellFormed()) throw errno('EILSEQ', op, rel);
    const k = this.key(name);
    if (dir.children.has(k)) throw errno('EEXIST', op, rel);
    dir.children.set(k, { name, node: n });
    dir.mtimeMs = dir.ctimeMs = this.now();
  }

  private take(rel: string, op: string): MemNode {
    const { dir, name } = this.parent(rel, op);
    const k = this.key(name);
    const e = dir.children.get(k);
    if (!e) throw errno('ENOENT', op, rel);
    dir.children.delete(k);
    dir.mtimeMs = dir.ctimeMs = this.now();
    return e.node;
  }

  private stat(n: MemNode): TargetStat {
    return {
      type: n.type,
      size: n.type === 'file' ? n.data.length : 0,
      mtimeMs: n.mtimeMs,
      ctimeMs: n.ctimeMs,
      ino: n.ino,
      mode: n.mode,
      nlink: n.nlink,
    };
  }

  private grow(n: MemNode, size: number, rel: string): void {
    const extra = size - n.data.length;
    if (extra <= 0) return;
    if (this.opts.capacityBytes !== undefined && this.used + extra > this.opts.capacityBytes)
      throw errno('ENOSPC', 'write', rel);
    const b = Buffer.alloc(size);
    n.data.copy(b);
    n.data = b;
    this.used += extra;
  }

  private release(n: MemNode): void {
    if (--n.nlink === 0 && n.type === 'file') this.used -= n.data.length;
  }

  lstat(rel: string): TargetStat | null {
    try {
      return this.stat(this.get(rel, 'lstat'));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  readdir(rel: string): string[] {
    const n = this.get(rel, 'readdir');
    if (n.type !== 'dir') throw errno('ENOTDIR', 'readdir', rel);
    return [...n.children.values()].map((e) => e.name);
  }

  readlink(rel: string): string {
    const n = this.get(rel, 'readlink');
    if (n.type !== 'symlink') throw errno('EINVAL', 'readlink', rel);
    return n.linkText;
  }

  mkdir(rel: string, mode: number): void {
    this.check('mkdir', rel);
    this.put(rel, this.node('dir', mode), 'mkdir');
  }

  rmdir(rel: string): void {
    this.check('rmdir', rel);
    const n = this.get(rel, 'rmdir');
    if (n.type !== 'dir') throw errno('ENOTDIR', 'rmdir', rel);
    if (n.children.size) throw errno('ENOTEMPTY', 'rmdir', rel);
    this.take(rel, 'rmdir');
  }

  unlink(rel: string): void {
    this.check('unlink', rel);
    const n = this.get(rel, 'unlink');
    if (n.type === 'dir') throw errno('EISDIR', 'unlink', rel);
    this.release(this.take(rel, 'unlink'));
  }

  rename(from: string, to: string): void {
    this.check('rename', to);
    const n = this.get(from, 'rename');
    const src = this.parent(from, 'rename');
    const dst = this.parent(to, 'rename');
    if (this.opts.textOnly && !dst.name.isWellFormed()) throw errno('EILSEQ', 'rename', to);
    const fromKey = this.key(src.name);
    const toKey = this.key(dst.name);
    if (src.dir === dst.dir && fromKey === toKey) {
      // The same entry under another spelling: a folding filesystem changes only its name.
      src.dir.children.set(fromKey, { name: dst.name, node: n });
      n.ctimeMs = this.now();
      return;
    }
    const existing = dst.dir.children.get(toKey);
    if (existing) {
      if (existing.node.type === 'dir') {
        if (n.type !== 'dir') throw errno('EISDIR', 'rename', to);
        if (existing.node.children.size) throw errno('ENOTEMPTY', 'rename', to);
      } else if (n.type === 'dir') throw errno('ENOTDIR', 'rename', to);
      dst.dir.children.delete(toKey);
      this.release(existing.node);
    }
    this.take(from, 'rename');
    dst.dir.children.set(toKey, { name: dst.name, node: n });
    dst.dir.mtimeMs = dst.dir.ctimeMs = this.now();
    n.ctimeMs = this.now();
  }

  link(from: string, to: string): void {
    this.check('link', to);
    const n = this.get(from, 'link');
    if (n.type === 'dir') throw errno('EPERM', 'link', from);
    this.put(to, n, 'link');
    n.nlink++;
    n.ctimeMs = this.now();
  }

  symlink(linkText: string, rel: string): void {
    this.check('symlink', rel);
    const n = this.node('symlink', 0o777);
    n.linkText = linkText;
    this.put(rel, n, 'symlink');
  }

  private open(rel: string, op: string): TargetFile {
    this.check(op, rel);
    const n = this.get(rel, op);
    if (n.type === 'symlink') throw errno('ELOOP', op, rel);
    if (n.type === 'dir') throw errno('EISDIR', op, rel);
    return this.file(n, rel);
  }

  openRead(rel: string): TargetFile {
    return this.open(rel, 'openRead');
  }

  openReadWrite(rel: string): TargetFile {
    return this.open(rel, 'openReadWrite');
  }

  create(rel: string, mode: number): TargetFile {
    this.check('create', rel);
    const n = this.node('file', mode);
    this.put(rel, n, 'create');
    return this.file(n, rel);
  }

  private file(n: MemNode, rel: string): TargetFile {
    let open = true;
    const live = (): void => {
      if (!open) throw errno('EBADF', 'file', rel);
    };
    return {
      read: (buf, offset, length, position) => {
        live();
        const end = Math.min(n.data.length, position + length);
        if (end <= position) return 0;
        return n.data.copy(buf, offset, position, end);
      },
      write: (buf, offset, length, position) => {
        live();
        this.check('write', rel);
        this.grow(n, position + length, rel);
        buf.copy(n.data, position, offset, offset + length);
        n.mtimeMs = n.ctimeMs = this.now();
        return length;
      },
      stat: () => this.stat(n),
      truncate: (size) => {
        live();
        if (size > n.data.length) this.grow(n, size, rel);
        else {
          this.used -= n.data.length - size;
          n.data = Buffer.from(n.data.subarray(0, size));
        }
        n.mtimeMs = n.ctimeMs = this.now();
      },
      chmod: (mode) => {
        n.mode = mode;
        n.ctimeMs = this.now();
      },
      setMtime: (mtimeMs) => {
        n.mtimeMs = mtimeMs;
        n.ctimeMs = this.now();
      },
      sync: () => this.check('fsync', rel),
      close: () => {
        open = false;
      },
    };
  }

  chmodDir(rel: string, mode: number): void {
    const n = this.get(rel, 'chmod');
    if (n.type !== 'dir') throw errno('ENOTDIR', 'chmod', rel);
    n.mode = mode;
    n.ctimeMs = this.now();
  }

  setMtime(rel: string, mtimeMs: number): void {
    const n = this.get(rel, 'utimes');
    n.mtimeMs = mtimeMs;
    n.ctimeMs = this.now();
  }

  fsyncDirs(rels: Iterable<string>): void {
    for (const r of rels) this.check('fsyncDir', r);
  }

  flush(files: readonly string[]): void {
    for (const f of files) this.check('flush', f);
  }

  freeBytes(): number | null {
    return this.opts.capacityBytes === undefined ? null : this.opts.capacityBytes - this.used;
  }

  chown(rel: string): void {
    this.check('chown', rel);
    this.get(rel, 'chown').ctimeMs = this.now();
  }

  listXattrs(rel: string): string[] {
    return [...this.get(rel, 'listxattr').xattrs.keys()];
  }

  getXattr(rel: string, name: string): Buffer | null {
    return this.get(rel, 'getxattr').xattrs.get(name) ?? null;
  }

  setXattr(rel: string, name: string, value: Buffer): void {
    this.check('setxattr', rel);
    const n = this.get(rel, 'setxattr');
    n.xattrs.set(name, Buffer.from(value));
    n.ctimeMs = this.now();
  }

  removeXattr(rel: string, name: string): void {
    const n = this.get(rel, 'removexattr');
    if (!n.xattrs.delete(name)) throw errno('ENODATA', 'removexattr', rel);
    n.ctimeMs = this.now();
  }

  /** Adds a special file (FIFO, socket, device), which holds no bytes. */
  mkSpecial(rel: string): void {
    this.put(rel, this.node('special', 0o644), 'mknod');
  }

  /** Every entry with its spelling as stored, for assertions: path -> type (+ bytes for files). */
  dump(): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (n: MemNode, at: string): void => {
      for (const { name, node } of [...n.children.values()].sort((a, b) =>
        a.name < b.name ? -1 : 1,
      )) {
        const p = at ? `${at}/${name}` : name;
        out.set(
          p,
          node.type === 'file'
            ? `file:${node.data.toString('utf8')}`
            : node.type === 'symlink'
              ? `link:${node.linkText}`
              : node.type,
        );
        if (node.type === 'dir') walk(node, p);
      }
    };
    walk(this.top, '');
    return out;
  }
}
