// Helpers for the CLI's integration tests: fresh temp folder pairs, `bin/tandem.js` run as a real
// child process, trees hashed and compared byte for byte (the target's own `.tandem/` left out).
// No vitest import: this file is compiled with the rest of electron/, so it must stand alone.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The pair's own folder at the target root (DESIGN.md); never synced, compared or shown. */
export const STATE_DIR = '.tandem';

function findRepoRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`no package.json above ${start}`);
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
export const CLI_PATH = path.join(REPO_ROOT, 'bin', 'tandem.js');

/** Why the CLI cannot run yet, or null when `bin/tandem.js` and the built CLI are there. */
export function cliMissingReason(): string | null {
  if (!fs.existsSync(CLI_PATH)) return `${CLI_PATH} is missing`;
  const built = path.join(REPO_ROOT, 'dist', 'electron', 'cli');
  if (!fs.existsSync(built) || fs.readdirSync(built).length === 0)
    return `${built} is empty: run npm run build`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Temp folders

export interface Sandbox {
  /** the fresh temp folder holding everything below */
  base: string;
  source: string;
  target: string;
  /** TANDEM_HOME for every run in this sandbox */
  home: string;
  /** a folder outside both roots, for symlinks that point out of the pair */
  outside: string;
  cleanup(): void;
}

export function makeSandbox(label = 'pair'): Sandbox {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), `tandem-${label}-`));
  const sb = {
    base,
    source: path.join(base, 'source'),
    target: path.join(base, 'target'),
    home: path.join(base, 'home'),
    outside: path.join(base, 'outside'),
    cleanup: () => removeTree(base),
  };
  for (const d of [sb.source, sb.target, sb.home, sb.outside]) fs.mkdirSync(d);
  return sb;
}

/** Removes a tree even where a test took permissions away. */
export function removeTree(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const restore = (p: string): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    try {
      fs.chmodSync(p, 0o700);
      for (const n of fs.readdirSync(p)) restore(path.join(p, n));
    } catch {
      // best effort: rmSync below reports what is left
    }
  };
  restore(dir);
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

export interface CliOptions {
  /** TANDEM_HOME: the state folder (index, pair registry) for this run */
  home: string;
  /** kill the run after this long and report timedOut (default 60 s) */
  timeoutMs?: number;
  env?: Record<string, string>;
  cwd?: string;
  /** run as another user (needs root); used to make chmod 000 effective when tests run as root */
  user?: { uid: number; gid: number };
  /** own process group, so a crash test can kill the run and anything it started */
  detached?: boolean;
}

export interface CliRun {
  args: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

export function cliEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.FORCE_COLOR;
  env.TANDEM_HOME = home;
  env.XDG_STATE_HOME = path.join(home, 'xdg-state');
  env.NO_COLOR = '1';
  return env;
}

/** Starts `node bin/tandem.js …` with no terminal: stdin is a pipe that is closed at once. */
export function spawnCli(args: readonly string[], opts: CliOptions): ChildProcess {
  const env = cliEnv(opts.home, opts.env);
  if (opts.user) env.HOME = opts.home;
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: opts.cwd ?? os.tmpdir(),
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.detached ?? false,
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
  child.stdin?.end();
  return child;
}

/** Collects a spawned run's output and outcome. */
export function waitForCli(
  child: ChildProcess,
  args: readonly string[],
  timeoutMs = 60_000,
): Promise<CliRun> {
  const started = performance.now();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => out.push(b));
  child.stderr?.on('data', (b: Buffer) => err.push(b));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        args: [...args],
        code,
        signal,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        ms: performance.now() - started,
        timedOut,
      });
    });
  });
}

export function runCli(args: readonly string[], opts: CliOptions): Promise<CliRun> {
  return waitForCli(spawnCli(args, opts), args, opts.timeoutMs);
}

/** A run, shown for an assertion message. */
export function describeRun(run: CliRun): string {
  const cut = (s: string): string =>
    s.length > 2000 ? `${s.slice(0, 2000)}… (${s.length} chars)` : s;
  const how = run.timedOut
    ? 'timed out'
    : run.signal
      ? `killed by ${run.signal}`
      : `exit ${run.code}`;
  return `tandem ${run.args.map((a) => JSON.stringify(a)).join(' ')} → ${how} after ${Math.round(run.ms)} ms\n--- stderr:\n${cut(run.stderr)}\n--- stdout:\n${cut(run.stdout)}`;
}

/** Parses a `--json` run's stdout, with the whole run in the error when it is not JSON. */
export function parseJsonOutput<T>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch (e) {
    throw new Error(
      `stdout is not one JSON document: ${(e as Error).message}\n${describeRun(run)}`,
      { cause: e },
    );
  }
}

/** What is wrong with an error report: it must be one non-empty line and carry no stack trace. */
export function oneLineErrorProblems(stderr: string): string[] {
  const text = stderr.trim();
  const problems: string[] = [];
  if (text.length === 0) problems.push('stderr is empty');
  if (text.includes('\n')) problems.push(`stderr has ${text.split('\n').length} lines`);
  if (/^\s+at .+[:(]/m.test(stderr) || /\.(js|ts):\d+/.test(stderr))
    problems.push('stderr holds a stack trace');
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Building trees

export class FileSpec {
  constructor(
    readonly content: string | Buffer,
    readonly mode?: number,
    readonly mtime?: Date,
  ) {}
}

export class LinkSpec {
  constructor(readonly linkTarget: string) {}
}

/** A folder: names to contents (a string or Buffer is a file), folders, file(...) or link(...). */
export interface TreeSpec {
  [name: string]: string | Buffer | FileSpec | LinkSpec | TreeSpec;
}

export function file(
  content: string | Buffer,
  opts: { mode?: number; mtime?: Date } = {},
): FileSpec {
  return new FileSpec(content, opts.mode, opts.mtime);
}

export function link(linkTarget: string): LinkSpec {
  return new LinkSpec(linkTarget);
}

export function writeTree(root: string, spec: TreeSpec): void {
  fs.mkdirSync(root, { recursive: true });
  for (const [name, v] of Object.entries(spec)) {
    const p = path.join(root, name);
    if (typeof v === 'string' || Buffer.isBuffer(v)) {
      fs.writeFileSync(p, v);
    } else if (v instanceof FileSpec) {
      fs.writeFileSync(p, v.content);
      if (v.mode !== undefined) fs.chmodSync(p, v.mode);
      if (v.mtime !== undefined) fs.utimesSync(p, v.mtime, v.mtime);
    } else if (v instanceof LinkSpec) {
      fs.symlinkSync(v.linkTarget, p);
    } else {
      writeTree(p, v);
    }
  }
}

/** Writes a file, creating its folders. */
export function putFile(root: string, rel: string, content: string | Buffer): string {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

export function setMtime(p: string, when: Date | number): void {
  const t = typeof when === 'number' ? new Date(when) : when;
  fs.utimesSync(p, t, t);
}

/** Rewrites a file's bytes in place and puts its mtime back: only ctime tells it changed. */
export function rewriteKeepingMtime(p: string, content: Buffer): void {
  const st = fs.statSync(p);
  if (content.length !== st.size)
    throw new Error(`rewriteKeepingMtime: ${p} is ${st.size} bytes, new content ${content.length}`);
  const fd = fs.openSync(p, 'r+');
  try {
    fs.writeSync(fd, content, 0, content.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  fs.utimesSync(p, st.atime, st.mtime);
}

export function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

/** A listening Unix socket at `p`; close the server when done. */
export function listenUnixSocket(p: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(p, () => resolve(server));
  });
}

/** Gives a tree to a user (for runs as that user). */
export function chownTree(root: string, uid: number, gid: number): void {
  fs.lchownSync(root, uid, gid);
  const st = fs.lstatSync(root);
  if (st.isDirectory())
    for (const n of fs.readdirSync(root)) chownTree(path.join(root, n), uid, gid);
}

/** When the tests run as root, chmod 000 stops nobody but root: run such cases as `nobody`. */
export function unprivilegedUser(): { uid: number; gid: number } | undefined {
  return process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
}

// ---------------------------------------------------------------------------------------------
// Seeded data

/** A deterministic random number generator (mulberry32) seeded from any string. */
export interface Rng {
  /** in [0, 1) */
  next(): number;
  /** an integer in [0, n) */
  int(n: number): number;
  /** k distinct integers from [0, n), sorted */
  sample(n: number, k: number): number[];
  bytes(length: number): Buffer;
}

export function createRng(seed: string | number): Rng {
  let a = crypto.createHash('sha256').update(String(seed)).digest().readUInt32LE(0);
  let byteSeed = 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    sample(n, k) {
      if (k > n) throw new Error(`cannot pick ${k} of ${n}`);
      const picked = new Set<number>();
      while (picked.size < k) picked.add(rng.int(n));
      return [...picked].sort((x, y) => x - y);
    },
    bytes: (length) => seededBytes(`${seed}/${byteSeed++}`, length),
  };
  return rng;
}

function keystream(seed: string): crypto.Cipher {
  const key = crypto.createHash('sha256').update(seed).digest();
  return crypto.createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
}

/** `length` pseudo-random bytes, the same for the same seed. */
export function seededBytes(seed: string, length: number): Buffer {
  return keystream(seed).update(Buffer.alloc(length));
}

/** Writes `size` seeded pseudo-random bytes to `p` in blocks (large files without large buffers). */
export function writeSeededFile(p: string, size: number, seed: string): void {
  const ks = keystream(seed);
  const block = Buffer.alloc(Math.min(size, 8 << 20));
  const fd = fs.openSync(p, 'w');
  try {
    for (let pos = 0; pos < size; pos += block.length) {
      const n = Math.min(block.length, size - pos);
      const data = ks.update(block.subarray(0, n));
      fs.writeSync(fd, data, 0, n, pos);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Overwrites bytes of a file at `pos` without changing anything else. */
export function patchFile(p: string, pos: number, data: Buffer): void {
  const fd = fs.openSync(p, 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, pos);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Hashing and comparing trees

export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

const readBuf = { a: Buffer.alloc(1 << 20), b: Buffer.alloc(1 << 20) };

export function sha256File(p: string): string {
  const h = crypto.createHash('sha256');
  const fd = fs.openSync(p, 'r');
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
  if (fs.statSync(a).size !== fs.statSync(b).size) return false;
  const fa = fs.openSync(a, 'r');
  const fb = fs.openSync(b, 'r');
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
  /** files only */
  sha256?: string;
  /** symlinks only */
  linkTarget?: string;
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
  opts: { includeStateDir?: boolean; hashContent?: boolean } = {},
): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  const hashContent = opts.hashContent ?? true;
  const visit = (rel: string): void => {
    const abs = rel ? path.join(root, rel) : root;
    const st = fs.lstatSync(abs);
    const kind = kindOf(st);
    const e: TreeEntry = {
      kind,
      mode: st.mode & 0o7777,
      size: st.size,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ino: st.ino,
    };
    if (kind === 'file' && hashContent) e.sha256 = tryOr(() => sha256File(abs), 'unreadable');
    if (kind === 'symlink') e.linkTarget = fs.readlinkSync(abs);
    out.set(rel, e);
    if (kind !== 'dir') return;
    // an unlistable folder (a test took its permissions away) is recorded without children
    for (const name of tryOr(() => fs.readdirSync(abs), []).sort()) {
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
export function compareTrees(a: string, b: string, fields: CompareFields = {}): string[] {
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
