import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquirePairLock, PairBusyError } from './pairLock.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-lock-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
};

describe('acquirePairLock', () => {
  it('refuses a second holder with the first one’s pid, and frees the lock on release', () => {
    const release = acquirePairLock(dir);
    fs.writeFileSync(
      path.join(dir, 'lock'),
      JSON.stringify({ pid: process.ppid, host: os.hostname(), started: 1 }),
    );
    expect(() => acquirePairLock(dir)).toThrow(PairBusyError);
    expect(() => acquirePairLock(dir)).toThrow(`pair busy (pid ${process.ppid})`);
    fs.rmSync(path.join(dir, 'lock'));
    release();
    const again = acquirePairLock(dir);
    again();
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('takes over a lock whose process is gone on this host', () => {
    fs.writeFileSync(
      path.join(dir, 'lock'),
      JSON.stringify({ pid: deadPid(), host: os.hostname(), started: 1 }),
    );
    const release = acquirePairLock(dir);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'lock'), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it('never breaks a lock held from another host', () => {
    fs.writeFileSync(
      path.join(dir, 'lock'),
      JSON.stringify({ pid: deadPid(), host: 'elsewhere', started: 1 }),
    );
    expect(() => acquirePairLock(dir)).toThrow(/pair busy \(pid \d+ on elsewhere\)/);
  });
});
