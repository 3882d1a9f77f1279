// Trees hashed and compared byte for byte, the target's own `.tandem/` left out. Names are bytes:
// one that is not valid UTF-8 is keyed by the string that stands for its bytes (byteNames.ts).
// No vitest import: engine code and benchmarks may use it too.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { bytesToName, fsPath } from './byteNames.js';
import { STATE_DIR } from './sandbox.js';
import { readXattrs } from './xattrs.js';
export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

const readBuf = { a: Buffer.alloc(1 << 20), b: Buffer.alloc(1 << 20) };

export function sha256File(p: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(fsPath(p), 'r');
  try {
    for (;;) {
      const n = fs.readSync(fd, readBuf.a, 0, readBuf.a.length, null);
      if (n === 0) break;
      h.update(readBuf.a.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** True when two files hold the same bytes, read side by side. */
export function sameBytes(a: string, b: string): boolean {
  if (fs.statSync(fsPath(a)).size !== fs.statSync(fsPath(b)).size) return false;
  const fa = fs.openSync(fsPath(a), 'r');
  const fb = fs.openSync(fsPath(b), 'r');
  try {
    for (;;) {
      const na = fs.readSync(fa, readBuf.a, 0, readBuf.a.length, null);
      const nb = fs.readSync(fb, readBuf.b, 0, readBuf.b.length, null);
      if (na !== nb) return false;
      if (na === 0) return true;
      if (!readBuf.a.subarray(0, na).equals(readBuf.b.subarray(0, nb))) return false;
    }
  } finally {
    fs.closeSync(fa);
    fs.closeSync(fb);
  }
}

export type NodeKind = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'other';

export interface TreeEntry {
  kind: NodeKind;
  /** permission bits (mode & 0o7777) */
  mode: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  nlink: number;
  /** bytes allocated on disk (st_blocks * 512): fewer than the size where a file has holes */
  allocated: number;
  uid: number;
  gid: number;
  /** files only */
  sha256?: string;
  /** symlinks only */
  linkTarget?: string;
  /** with `xattrs`: the user.* and trusted.* attributes, `name=hex` sorted, one `;` between */
  xattrs?: string;
}

/** Relative paths ('/'-separated, '' = root) to entries. */
export type TreeSnapshot = Map<string, TreeEntry>;

function kindOf(st: fs.Stats): NodeKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'other';
}

function tryOr<T>(f: () => T, fallback: T): T {
  try {
    return f();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EACCES') return fallback;
    throw e;
  }
}

/**
 * Every entry under `root` with its stat and content hash, never following a symlink. The root's
 * `.tandem/` is left out unless `includeStateDir`.
 */
export function hashTree(
  root: string,
  opts: { includeStateDir?: boolean; hashContent?: boolean; xattrs?: boolean } = {},
): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const hashContent = opts.hashContent ?? true;
  const visit = (rel: string): void => {
    const abs = rel ? path.join(root, rel) : root;
    const st = fs.lstatSync(fsPath(abs));
    const kind = kindOf(st);
    const e: TreeEntry = {
      kind,
      mode: st.mode & 0o7777,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ino: st.ino,
      nlink: st.nlink,
      allocated: st.blocks * 512,
      uid: st.uid,
      gid: st.gid,
    };
    if (kind === 'file' && hashContent) e.sha256 = tryOr(() => sha256File(abs), 'unreadable');
    if (kind === 'symlink')
      e.linkTarget = bytesToName(fs.readlinkSync(fsPath(abs), { encoding: 'buffer' }));
    if (opts.xattrs && (kind === 'file' || kind === 'dir')) e.xattrs = readXattrs(abs);
    out.set(rel, e);
    if (kind !== 'dir') return;
    // an unlistable folder (a test took its permissions away) is recorded without children
    const names = tryOr(() => fs.readdirSync(fsPath(abs), { encoding: 'buffer' }), []);
    for (const name of names.map(bytesToName).sort()) {
      if (!rel && name === STATE_DIR && !opts.includeStateDir) continue;
      visit(rel ? `${rel}/${name}` : name);
    }
  };
  visit('');
  return out;
}

export interface CompareFields {
  /** compare files' permission bits */
  mode?: boolean;
  /** compare files' mtimes (to the millisecond) */
  mtime?: boolean;
  /** compare inode and ctime: any write, chmod or utimes shows */
  inode?: boolean;
}

function describeEntry(e: TreeEntry | undefined): string {
  if (!e) return 'absent';
  if (e.kind === 'file') return `file ${e.size} B sha256 ${e.sha256?.slice(0, 12) ?? '?'}`;
  if (e.kind === 'symlink') return `symlink → ${JSON.stringify(e.linkTarget)}`;
  return e.kind;
}

/** Names that share an inode (hard links), as groups of two or more paths, each sorted. */
export function hardLinkGroups(snap: TreeSnapshot): string[][] {
  const byInode = new Map<number, string[]>();
  for (const [p, e] of snap) {
    if (e.kind !== 'file') continue;
    const names = byInode.get(e.ino);
    if (names) names.push(p);
    else byInode.set(e.ino, [p]);
  }
  return [...byInode.values()]
    .filter((g) => g.length > 1)
    .map((g) => g.sort())
    .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
}

/** Differences between two snapshots, one readable line each; [] when they agree. */
export function diffSnapshots(
  a: TreeSnapshot,
  b: TreeSnapshot,
  fields: CompareFields = {},
): string[] {
  const problems: string[] = [];
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const p of paths) {
    const x = a.get(p);
    const y = b.get(p);
    const shown = JSON.stringify(p);
    if (!x || !y || x.kind !== y.kind || x.sha256 !== y.sha256 || x.linkTarget !== y.linkTarget) {
      problems.push(`${shown}: ${describeEntry(x)} vs ${describeEntry(y)}`);
      continue;
    }
    if (x.kind === 'file' && x.size !== y.size)
      problems.push(`${shown}: size ${x.size} vs ${y.size}`);
    if (fields.mode && x.kind === 'file' && x.mode !== y.mode)
      problems.push(`${shown}: mode ${x.mode.toString(8)} vs ${y.mode.toString(8)}`);
    if (fields.mtime && x.kind === 'file' && Math.abs(x.mtimeMs - y.mtimeMs) >= 1) {
      problems.push(
        `${shown}: mtime ${new Date(x.mtimeMs).toISOString()} vs ${new Date(y.mtimeMs).toISOString()}`,
      );
    }
    if (fields.inode && (x.ino !== y.ino || x.ctimeMs !== y.ctimeMs))
      problems.push(`${shown}: inode or ctime changed`);
  }
  return problems;
}

/**
 * Compares two trees entry by entry, files byte for byte (read side by side, not through hashes),
 * symlinks by link text, and optionally files' mode bits and mtimes. Both roots' `.tandem/` are
 * left out. Returns one line per difference; [] when the trees are identical.
 */
export function diffTrees(a: string, b: string, fields: CompareFields = {}): string[] {
  const sa = hashTree(a, { hashContent: false });
  const sb = hashTree(b, { hashContent: false });
  const problems: string[] = [];
  const paths = [...new Set([...sa.keys(), ...sb.keys()])].sort();
  for (const p of paths) {
    if (p === '') continue;
    const x = sa.get(p);
    const y = sb.get(p);
    const shown = JSON.stringify(p);
    if (!x || !y || x.kind !== y.kind) {
      problems.push(`${shown}: ${x?.kind ?? 'absent'} in ${a}, ${y?.kind ?? 'absent'} in ${b}`);
      continue;
    }
    if (x.kind === 'symlink' && x.linkTarget !== y.linkTarget) {
      problems.push(
        `${shown}: links to ${JSON.stringify(x.linkTarget)} vs ${JSON.stringify(y.linkTarget)}`,
      );
    }
    if (x.kind !== 'file') continue;
    if (!sameBytes(path.join(a, p), path.join(b, p)))
      problems.push(`${shown}: content differs (${x.size} vs ${y.size} bytes)`);
    if (fields.mode && x.mode !== y.mode)
      problems.push(`${shown}: mode ${x.mode.toString(8)} vs ${y.mode.toString(8)}`);
    if (fields.mtime && Math.abs(x.mtimeMs - y.mtimeMs) >= 1) {
      problems.push(
        `${shown}: mtime ${new Date(x.mtimeMs).toISOString()} vs ${new Date(y.mtimeMs).toISOString()}`,
      );
    }
  }
  return problems;
}

/** sha256 of every regular file below `dir` (e.g. a version store), whatever their names. */
export function contentHashesUnder(dir: string): Set<string> {
  const out = new Set<string>();
  if (!fs.existsSync(dir)) return out;
  for (const [rel, e] of hashTree(dir, { includeStateDir: true })) {
    if (e.kind === 'file' && e.sha256 && rel !== '') out.add(e.sha256);
  }
  return out;
}

/** Paths below the target's `.tandem/` (journal, temp, versions, lock, marker). */
export function stateDirPaths(target: string): string[] {
  const dir = path.join(target, STATE_DIR);
  if (!fs.existsSync(dir)) return [];
  return [...hashTree(dir, { hashContent: false }).keys()].filter((p) => p !== '');
}

/** path → what it holds: 'file <sha256>', 'dir', 'link → …'; a path not in the map is absent. */
export type TreeState = Map<string, string>;

/** A tree's contents alone (no stat), to tell "old or new" apart in crash trials. */
export function stateOf(root: string): TreeState {
  const out: TreeState = new Map();
  for (const [p, e] of hashTree(root)) {
    if (p === '') continue;
    out.set(
      p,
      e.kind === 'file'
        ? `file ${e.sha256 ?? '?'}`
        : e.kind === 'symlink'
          ? `link → ${e.linkTarget ?? ''}`
          : e.kind,
    );
  }
  return out;
}
