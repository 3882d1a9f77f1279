// Tests of the watch limit, the health verdict and its message, and the count of what a tree needs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_WATCHES_ENV,
  countWatches,
  readWatchLimit,
  watchBudget,
  watcherHealth,
  watchesExhausted,
} from './watchLimits.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-limits-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readWatchLimit', () => {
  it('reads inotify’s limit on Linux', async () => {
    const file = path.join(dir, 'max_user_watches');
    fs.writeFileSync(file, '65536\n');
    expect(await readWatchLimit({ env: {}, platform: 'linux', file })).toBe(65536);
  });

  it('lets TANDEM_MAX_WATCHES override it, on any platform', async () => {
    const env = { [MAX_WATCHES_ENV]: ' 12 ' };
    expect(await readWatchLimit({ env, platform: 'linux', file: '/nonexistent' })).toBe(12);
    expect(await readWatchLimit({ env, platform: 'darwin' })).toBe(12);
  });

  it('ignores an override that is not a count', async () => {
    const file = path.join(dir, 'max_user_watches');
    fs.writeFileSync(file, '8192');
    const env = { [MAX_WATCHES_ENV]: 'lots' };
    expect(await readWatchLimit({ env, platform: 'linux', file })).toBe(8192);
  });

  it('is null where there is no such limit or it cannot be read', async () => {
    expect(await readWatchLimit({ env: {}, platform: 'darwin' })).toBeNull();
    expect(await readWatchLimit({ env: {}, platform: 'win32' })).toBeNull();
    expect(
      await readWatchLimit({ env: {}, platform: 'linux', file: path.join(dir, 'missing') }),
    ).toBeNull();
    const garbage = path.join(dir, 'garbage');
    fs.writeFileSync(garbage, 'not a number');
    expect(await readWatchLimit({ env: {}, platform: 'linux', file: garbage })).toBeNull();
  });

  it.runIf(process.platform === 'linux')('reads this machine’s real limit', async () => {
    const limit = await readWatchLimit({ env: {} });
    expect(limit).toBe(Number(fs.readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8')));
  });
});

describe('watcherHealth', () => {
  it.each([
    ['fits well under the limit', 1000, 65536, 'watching'],
    ['no limit at all', 5_000_000, null, 'watching'],
    ['exactly 90% of the limit', 58982, 65536, 'watching'],
    ['one over 90% of the limit', 58983, 65536, 'polling'],
    ['over the limit', 120_000, 65536, 'polling'],
    ['a limit of zero', 1, 0, 'polling'],
  ] as const)('%s', (_name, needed, limit, mode) => {
    const h = watcherHealth(needed, limit);
    expect(h.mode).toBe(mode);
    expect(h.needed).toBe(needed);
    expect(h.limit).toBe(limit);
    expect(h.problem === undefined).toBe(mode === 'watching');
  });

  it('says what is wrong, the command that fixes it, and what happens until then', () => {
    const h = watcherHealth(120_000, 65536);
    expect(h.problem).toBe(
      'This pair needs 120,000 watches but Linux allows 65,536 for all programs together and ' +
        'Tandem uses at most 90% of them; raise the limit with: ' +
        'echo fs.inotify.max_user_watches=524288 | sudo tee /etc/sysctl.d/90-tandem.conf && ' +
        'sudo sysctl --system. Until then Tandem rescans this pair every minute.',
    );
  });

  it('suggests a limit that leaves the pair room when the usual one would not', () => {
    const h = watcherHealth(1_000_000, 524288);
    const suggested = Number(/max_user_watches=(\d+)/.exec(h.problem ?? '')?.[1]);
    expect(suggested).toBe(2_097_152);
    expect(watchBudget(suggested)).toBeGreaterThanOrEqual(1_000_000);
    expect(watchBudget(suggested / 2)).toBeLessThan(1_000_000);
  });

  it('keeps a pair that is off or asked to poll as it is, with no problem to report', () => {
    expect(watcherHealth(120_000, 65536, 'off')).toEqual({
      mode: 'off',
      needed: 120_000,
      limit: 65536,
    });
    expect(watcherHealth(10, 65536, 'polling')).toEqual({
      mode: 'polling',
      needed: 10,
      limit: 65536,
    });
  });
});

describe('watchesExhausted', () => {
  it('explains running out of inotify watches with the fix', () => {
    const h = watchesExhausted(20_221, 192_536, 'ENOSPC');
    expect(h).toMatchObject({ mode: 'polling', needed: 20_221, limit: 192_536 });
    expect(h.problem).toContain('Linux ran out of file watches');
    expect(h.problem).toContain('it needs 20,221');
    expect(h.problem).toContain('sudo sysctl --system.');
    expect(h.problem).toMatch(/Until then Tandem rescans this pair every minute\.$/);
  });

  it('explains running out of open files', () => {
    const h = watchesExhausted(300, null, 'EMFILE');
    expect(h.problem).toContain('ran out of open files');
    expect(h.problem).toContain('ulimit -n');
  });
});

describe('countWatches', () => {
  const put = (rel: string): void => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), rel);
  };

  it('counts every folder (the root too) and every file, and no symlink', async () => {
    put('a.txt');
    put('d/e/f.txt');
    put('d/g.txt');
    fs.mkdirSync(path.join(dir, 'empty'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-limits-outside-'));
    try {
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(outside, `o${i}`), 'x');
      fs.symlinkSync(outside, path.join(dir, 'link-to-folder'));
      fs.symlinkSync('a.txt', path.join(dir, 'link-to-file'));
      expect(await countWatches(dir)).toEqual({ folders: 4, files: 3 });
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('skips what is ignored, and everything below an ignored folder', async () => {
    put('keep.txt');
    put('x.log');
    put('build/a/b.txt');
    put('src/c.txt');
    const seen: [string, boolean][] = [];
    const count = await countWatches(dir, (rel, isDir) => {
      seen.push([rel, isDir]);
      return rel === 'build' || rel.endsWith('.log');
    });
    expect(count).toEqual({ folders: 2, files: 2 });
    expect(seen).toContainEqual(['build', true]);
    expect(seen).toContainEqual(['x.log', false]);
    expect(seen.some(([rel]) => rel.startsWith('build/'))).toBe(false);
  });

  it('fails with context when the root cannot be read', async () => {
    await expect(countWatches(path.join(dir, 'missing'))).rejects.toThrow(
      `counting the folders to watch in ${path.join(dir, 'missing')}`,
    );
  });
});
