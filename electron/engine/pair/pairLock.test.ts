import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeTargetFs } from '../core/target/targetFs.js';
import { acquirePairLock, PairBusyError } from './pairLock.js';

let root: string;
let dir: string;
let lock: string;
let t: NodeTargetFs;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-lock-'));
  dir = path.join(root, '.tandem');
  fs.mkdirSync(dir);
  lock = path.join(dir, 'lock');
  t = new NodeTargetFs(root);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
};

/** A lock entry as a holder leaves it (the folder format). */
function putLock(pid: number, host = os.hostname()): void {
  fs.mkdirSync(lock, { recursive: true });
  fs.writeFileSync(path.join(lock, `${pid}-0a0b0c`), JSON.stringify({ pid, host, started: 1 }));
}

const holder = (): number =>
  JSON.parse(fs.readFileSync(path.join(lock, fs.readdirSync(lock)[0]!), 'utf8')).pid;

describe('acquirePairLock', () => {
  it('refuses a second holder with the first one’s pid, and frees the lock on release', () => {
    const release = acquirePairLock(t);
    expect(() => acquirePairLock(t)).toThrow(PairBusyError);
    expect(() => acquirePairLock(t)).toThrow(`pair busy (pid ${process.pid})`);
    release();
    expect(fs.existsSync(lock)).toBe(false);
    const again = acquirePairLock(t);
    again();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a lock held by another live process', () => {
    putLock(process.ppid);
    expect(() => acquirePairLock(t)).toThrow(`pair busy (pid ${process.ppid})`);
  });

  it('takes over a lock whose process is gone on this host', () => {
    putLock(deadPid());
    const release = acquirePairLock(t);
    expect(holder()).toBe(process.pid);
    expect(fs.readdirSync(lock)).toHaveLength(1);
    release();
  });

  it('never breaks a lock held from another host', () => {
    putLock(deadPid(), 'elsewhere');
    expect(() => acquirePairLock(t)).toThrow(/pair busy \(pid \d+ on elsewhere\)/);
  });

  it('takes an empty lock folder (a release or crash cut short) and an unreadable entry', () => {
    fs.mkdirSync(lock);
    acquirePairLock(t)();
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, '123-torn'), '{"pi');
    const release = acquirePairLock(t);
    expect(holder()).toBe(process.pid);
    release();
  });

  it('reads the lock file of an older Tandem: busy while its process lives, taken over once gone', () => {
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), started: 1 }));
    expect(() => acquirePairLock(t)).toThrow(`pair busy (pid ${process.ppid})`);
    fs.writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: os.hostname(), started: 1 }));
    const release = acquirePairLock(t);
    expect(holder()).toBe(process.pid);
    release();
  });

  it('never removes anything through a link at the lock’s place', () => {
    const outside = path.join(root, 'outside');
    fs.mkdirSync(outside);
    const stale = path.join(outside, `${deadPid()}-0a0b0c`);
    fs.writeFileSync(stale, JSON.stringify({ pid: deadPid(), host: os.hostname(), started: 1 }));
    fs.symlinkSync(outside, lock);
    expect(() => acquirePairLock(t)).toThrow(/symlink is in the way/);
    expect(fs.readdirSync(outside)).toEqual([path.basename(stale)]);
    expect(fs.lstatSync(lock).isSymbolicLink()).toBe(true);
  });
});
