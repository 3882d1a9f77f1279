// A small filesystem of a test's own: a size-limited tmpfs mounted on a folder, for tests that
// need a disk that really fills up (ENOSPC from the kernel, not from a fake). Needs root and
// permission to mount; `mountUnavailableReason` says why not, for a skip that explains itself.
// No vitest import: engine code and benchmarks may use it too.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Why a tmpfs cannot be mounted here (null: it can), found by mounting and unmounting one. */
export function mountUnavailableReason(): string | null {
  if (process.platform !== 'linux')
    return `tmpfs mounts are Linux-only (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'mounting a small filesystem needs root (CI runs as root)';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-mount-probe-'));
  try {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], {
      encoding: 'utf8',
    });
    if (r.error) return `cannot run mount: ${r.error.message}`;
    if (r.status !== 0)
      return `mount is not permitted here: ${(r.stderr || `exit ${r.status}`).trim()}`;
    unmount(probe);
    return null;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `bytes` on `dir` (created if missing). */
export function mountTmpfs(dir: string, bytes: number): void {
  fs.mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, 'tmpfs', dir], {
    stdio: 'pipe',
  });
}

/** Unmounts `dir` if something is mounted there; lazily if it is still busy. */
export function unmount(dir: string): void {
  if (!isMountPoint(dir)) return;
  const r = spawnSync('umount', [dir], { encoding: 'utf8' });
  if (r.status !== 0) execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}

export function isMountPoint(dir: string): boolean {
  try {
    return fs.statSync(dir).dev !== fs.statSync(path.dirname(dir)).dev;
  } catch {
    return false;
  }
}

/** Bytes an unprivileged writer may still use on the filesystem holding `dir`. */
export function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}
