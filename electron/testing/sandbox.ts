// Fresh temp folder pairs for tests that touch the disk, and trees written into them from specs.
// No vitest import: engine code and benchmarks may use it too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
/** The pair's own folder at the target root (DESIGN.md); never synced, compared or shown. */
export const STATE_DIR = '.tandem';

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
  // By bytes: a folder whose name is not UTF-8 would not be found by its string.
  const restore = (p: Buffer): void => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    if (!st.isDirectory()) return;
    try {
      fs.chmodSync(p, 0o700);
      for (const n of fs.readdirSync(p, { encoding: 'buffer' }))
        restore(Buffer.concat([p, Buffer.from('/'), n]));
    } catch {
      // best effort: rmSync below reports what is left
    }
  };
  restore(Buffer.from(dir));
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

// ---------------------------------------------------------------------------------------------
// Running the CLI

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

let socketSerial = 0;

/**
 * A socket file at `p` that nobody listens on, as a server that crashed leaves one. Node unlinks
 * the path it listened on when the server closes, so the socket is made at a short name in the
 * temp folder (a socket's path must fit in 108 bytes), renamed into place (the sandbox is in the
 * temp folder too, so on the same filesystem), and then closed.
 */
export async function makeUnixSocket(p: string | Buffer): Promise<void> {
  const at = path.join(os.tmpdir(), `tandem-sock-${process.pid}-${++socketSerial}`);
  const server = await listenUnixSocket(at);
  try {
    fs.renameSync(at, p);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** A listening Unix socket at `p`; close the server when done. */
export function listenUnixSocket(p: string): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(p, () => resolve(server));
  });
}
