import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isLogLevel, logFile, readLogTail, RotatingLogFile } from './logFile.js';
import { createLogger, createServiceLog } from './serviceLog.js';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-log-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const line = (i: number) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(20)}\n`; // 30 bytes
const lines = (f: string) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean);

describe('RotatingLogFile', () => {
  it('rotates by size and keeps only the newest files', () => {
    const file = logFile(dir);
    const log = new RotatingLogFile(file, { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 10; i++) log.write(line(i));
    log.close();
    // Three lines fit in 100 bytes; the oldest file beyond `keep` is gone.
    expect(lines(file).map((l) => l.slice(0, 8))).toEqual(['line 009']);
    expect(lines(`${file}.1`).map((l) => l.slice(0, 8))).toEqual([
      'line 006',
      'line 007',
      'line 008',
    ]);
    expect(lines(`${file}.2`)[0]!.slice(0, 8)).toBe('line 003');
    expect(fs.existsSync(`${file}.3`)).toBe(false);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('follows a rotation made by another process on the same state folder', () => {
    const file = logFile(dir);
    const a = new RotatingLogFile(file, { maxBytes: 100 });
    const b = new RotatingLogFile(file, { maxBytes: 100 });
    b.write(line(0));
    for (let i = 1; i <= 4; i++) a.write(line(i)); // the file is full after line 2
    b.write(line(5));
    a.close();
    b.close();
    // b's line lands in the new tandem.log, not in the rotated file it had open.
    expect(lines(file).map((l) => l.slice(0, 8))).toEqual(['line 003', 'line 004', 'line 005']);
    expect(lines(`${file}.1`).map((l) => l.slice(0, 8))).toEqual([
      'line 000',
      'line 001',
      'line 002',
    ]);
  });
});

describe('readLogTail', () => {
  it('returns the last lines, oldest first, reaching into the rotated file', () => {
    const file = logFile(dir);
    const log = new RotatingLogFile(file, { maxBytes: 100 });
    for (let i = 0; i < 5; i++) log.write(line(i));
    log.close();
    expect(readLogTail(file, 3).map((l) => l.slice(0, 8))).toEqual([
      'line 002',
      'line 003',
      'line 004',
    ]);
    expect(readLogTail(file, 1).map((l) => l.slice(0, 8))).toEqual(['line 004']);
    expect(readLogTail(path.join(dir, 'none.log'), 10)).toEqual([]);
  });

  it('reads only the tail of a large file, never a cut line', () => {
    const file = path.join(dir, 'big.log');
    fs.writeFileSync(file, Array.from({ length: 20_000 }, (_, i) => line(i % 1000)).join(''));
    const tail = readLogTail(file, 2_500);
    expect(tail).toHaveLength(2_500);
    expect(tail.every((l) => /^line \d{3} x{20}$/.test(l))).toBe(true);
  });
});

describe('the service log', () => {
  it('writes one JSON object a line, with the level by name and the error with its cause', () => {
    const out: string[] = [];
    const log = createLogger('info', (l) => out.push(l));
    log.child({ pair: 'p1' }).info({ applied: 3, ms: { scan: 12 } }, 'cycle');
    log.error({ err: new Error('writing a.txt', { cause: new Error('ENOSPC') }) }, 'failed');
    log.debug('not at info');
    const [cycle, failed] = out.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out).toHaveLength(2);
    expect(cycle).toMatchObject({ level: 'info', pair: 'p1', applied: 3, msg: 'cycle' });
    expect(typeof cycle!.time).toBe('string');
    expect(failed).toMatchObject({ level: 'error', msg: 'failed' });
    expect((failed!.err as { message: string }).message).toContain('ENOSPC');
  });

  it('lives in the state folder', () => {
    const log = createServiceLog(dir, 'warn');
    log.logger.warn('held');
    log.close();
    expect(log.file).toBe(path.join(dir, 'logs', 'tandem.log'));
    expect(JSON.parse(lines(log.file)[0]!)).toMatchObject({ level: 'warn', msg: 'held' });
  });

  it('knows its levels', () => {
    expect(['info', 'debug', 'silent'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('verbose')).toBe(false);
  });
});
