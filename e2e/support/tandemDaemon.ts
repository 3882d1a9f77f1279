// A real `tandem serve` for one test: its own state folder, source and target in a fresh temp
// folder, the link it prints, and helpers to look at the folders on disk.
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = path.join(ROOT, 'bin', 'tandem.js');
export const SCREENSHOTS = path.join(ROOT, 'e2e', 'screenshots');

export interface TandemDaemon {
  url: string;
  port: number;
  token: string;
  base: string;
  home: string;
  source: string;
  target: string;
  /** what the daemon wrote to stderr (attached to a failed test's report) */
  stderr(): string;
  /** the daemon's exit code or signal, null while it runs */
  exited(): string | null;
  stop(): Promise<void>;
}

export interface ServeProcess {
  /** the link with the token that `tandem serve` printed */
  url: string;
  child: ChildProcess;
  /** what it wrote to stderr so far */
  stderr: () => string;
}

/**
 * Runs `tandem serve --port 0` on its own TANDEM_HOME (and `env`, on top of this process's);
 * resolves with the link it prints.
 */
export function spawnServe(home: string, env: Record<string, string> = {}): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], {
    env: { ...process.env, ...env, TANDEM_HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`tandem serve printed no link: ${out}${err}`)),
      30_000,
    );
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child, stderr: () => err });
      }
    });
    child.once('exit', (code) => reject(new Error(`tandem serve exited ${code}: ${err}`)));
  });
}

/** Stops it as Ctrl-C would (it finishes a write in progress), killing it if it hangs. */
export async function stopServe(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGINT');
  const late = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(late);
}

export async function startTandem(env: Record<string, string> = {}): Promise<TandemDaemon> {
  const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-e2e-')));
  const home = path.join(base, 'home');
  const source = path.join(base, 'Photos');
  const target = path.join(base, 'Backup');
  fs.mkdirSync(source);
  const { url, child, stderr } = await spawnServe(home, env);
  const u = new URL(url);
  return {
    url,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    base,
    home,
    source,
    target,
    stderr,
    exited: () => child.signalCode ?? (child.exitCode === null ? null : String(child.exitCode)),
    stop: async () => {
      await stopServe(child);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

export function write(root: string, rel: string, data: string | Buffer): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, data);
}

export function read(root: string, rel: string): string | null {
  try {
    return fs.readFileSync(path.join(root, rel), 'utf8');
  } catch {
    return null;
  }
}

/** Every file and link under root (the target's own .tandem/ left out) with a hash of its bytes. */
export function treeDigest(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (rel === '' && e.name === '.tandem') continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        out[r + '/'] = 'dir';
        walk(p, r);
      } else if (e.isSymbolicLink()) out[r] = `link:${fs.readlinkSync(p)}`;
      else out[r] = crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex');
    }
  };
  if (fs.existsSync(root)) walk(root, '');
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), so big files are not all zeros or repeats. */
export function noise(bytes: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= bytes; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b.writeUInt32LE(x >>> 0, i);
  }
  for (let i = bytes - (bytes % 4); i < bytes; i++) b[i] = i & 0xff;
  return b;
}
