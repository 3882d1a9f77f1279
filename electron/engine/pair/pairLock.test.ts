import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePairLock, PairBusyError } from './pairLock.js';

let dir: string;
let lock: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-lock-'));
  lock = path.join(dir, 'lock');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

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
    const release = acquirePairLock(dir);
    expect(() => acquirePairLock(dir)).toThrow(PairBusyError);
    expect(() => acquirePairLock(dir)).toThrow(`pair busy (pid ${process.pid})`);
    release();
    expect(fs.existsSync(lock)).toBe(false);
    const again = acquirePairLock(dir);
    again();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('refuses a lock held by another live process', () => {
    putLock(process.ppid);
    expect(() => acquirePairLock(dir)).toThrow(`pair busy (pid ${process.ppid})`);
  });

  it('takes over a lock whose process is gone on this host', () => {
    putLock(deadPid());
    const release = acquirePairLock(dir);
    expect(holder()).toBe(process.pid);
    expect(fs.readdirSync(lock)).toHaveLength(1);
    release();
  });

  it('never breaks a lock held from another host', () => {
    putLock(deadPid(), 'elsewhere');
    expect(() => acquirePairLock(dir)).toThrow(/pair busy \(pid \d+ on elsewhere\)/);
  });

  it('takes an empty lock folder (a release or crash cut short) and an unreadable entry', () => {
    fs.mkdirSync(lock);
    acquirePairLock(dir)();
    fs.mkdirSync(lock);
    fs.writeFileSync(path.join(lock, '123-torn'), '{"pi');
    const release = acquirePairLock(dir);
    expect(holder()).toBe(process.pid);
    release();
  });

  it('reads the lock file of an older Tandem: busy while its process lives, taken over once gone', () => {
    fs.writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: os.hostname(), started: 1 }));
    expect(() => acquirePairLock(dir)).toThrow(`pair busy (pid ${process.ppid})`);
    fs.writeFileSync(lock, JSON.stringify({ pid: deadPid(), host: os.hostname(), started: 1 }));
    const release = acquirePairLock(dir);
    expect(holder()).toBe(process.pid);
    release();
  });
});
