// Unit tests for the benchmark's pure parts (io, status and stat parsing, median, table, targets,
// settings, seeded data plans) and checks that the /proc readers really count a child's writes and
// read this process.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseOnly, parseScaleSizes } from './config.js';
import {
  GIB,
  KIB,
  MIB,
  changedChunkBytes,
  chunkSizeFor,
  planBigFile,
  planFolderTree,
  planTree,
} from './data.js';
import {
  bytesWritten,
  median,
  parseProcIo,
  parseProcStatTicks,
  parseProcStatus,
  procCpuSeconds,
  procMemory,
  runMeasured,
} from './measure.js';
import { Rng, seededBytes } from './prng.js';
import {
  evaluateTargets,
  formatBytes,
  formatTable,
  renderTable,
  tableRows,
  type Cell,
} from './report.js';
import { shellLine } from './scenarios.js';

const PROC_IO = `rchar: 41992430
wchar: 41948446
syscr: 1574
syscw: 742
read_bytes: 5652480
write_bytes: 20971520
cancelled_write_bytes: 4096
`;

describe('parseProcIo', () => {
  it('reads every field of /proc/PID/io', () => {
    expect(parseProcIo(PROC_IO)).toEqual({
      rchar: 41992430,
      wchar: 41948446,
      syscr: 1574,
      syscw: 742,
      read_bytes: 5652480,
      write_bytes: 20971520,
      cancelled_write_bytes: 4096,
    });
  });
  it('ignores unknown and malformed lines and leaves missing fields undefined', () => {
    const io = parseProcIo('rchar: 10\nbogus: 3\nwchar: -5\nwrite_bytes:  77  \n\n');
    expect(io).toEqual({ rchar: 10, write_bytes: 77 });
    expect(io.wchar).toBeUndefined();
  });
  it('bytesWritten prefers write_bytes and falls back to wchar', () => {
    expect(bytesWritten({ write_bytes: 0, wchar: 9 })).toEqual({ bytes: 0, column: 'write_bytes' });
    expect(bytesWritten({ wchar: 9 })).toEqual({ bytes: 9, column: 'wchar' });
    expect(bytesWritten({})).toEqual({ bytes: undefined, column: 'none' });
  });
});

describe('a running process in /proc', () => {
  it('reads resident memory now and at its peak from /proc/PID/status, in bytes', () => {
    const status =
      'Name:\tnode\nVmPeak:\t 999 kB\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t7\n';
    expect(parseProcStatus(status)).toEqual({ rss: 1024 * 1024, peak: 2048 * 1024 });
    expect(parseProcStatus('Name:\tzombie\nState:\tZ\n')).toBeUndefined();
  });
  it('adds utime and stime of /proc/PID/stat, counting fields after a command with spaces and )', () => {
    const stat = '4242 (MainThread) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 40 0 0 20 0 11 0';
    expect(parseProcStatTicks(stat)).toBe(290);
    expect(() => parseProcStatTicks('4242 (node) S 1')).toThrow(/utime and stime/);
  });
  it.runIf(existsSync('/proc/self/status'))('reads this process', () => {
    const m = procMemory(process.pid);
    expect(m.rss).toBeGreaterThan(MIB);
    expect(m.peak).toBeGreaterThanOrEqual(m.rss);
    expect(procCpuSeconds(process.pid)).toBeGreaterThan(0);
  });
});

describe('median', () => {
  it('takes the middle of an odd count and the mean of the middle two of an even one', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
  it('does not reorder its input and refuses an empty list', () => {
    const v = [3, 1, 2];
    median(v);
    expect(v).toEqual([3, 1, 2]);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('formatting', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(4096)).toBe('4.00 KiB');
    expect(formatBytes(20.5 * MIB)).toBe('20.5 MiB');
    expect(formatBytes(GIB)).toBe('1.00 GiB');
    expect(formatBytes(660 * MIB)).toBe('660 MiB');
    expect(formatBytes(undefined)).toBe('n/a');
  });
  it('pads columns to the widest cell, right-aligning where asked', () => {
    const t = formatTable(
      ['name', 'n'],
      [
        ['a', '1'],
        ['long', '100'],
      ],
      [false, true],
    );
    expect(t.split('\n')).toEqual(['name |   n', '-----|----', 'a    |   1', 'long | 100']);
  });
});

const cell = (
  scenario: Cell['scenario'],
  tool: Cell['tool'],
  walls: number[],
  written?: number,
): Cell => ({
  scenario,
  tool,
  label: tool,
  status: 'ok',
  samples: walls.map((w) => ({ wallS: w, written, wchar: written })),
});

describe('table rows and targets', () => {
  const budget = { chunkBytes: 3 * MIB, chunks: 3, chunkSize: MIB, slack: MIB };

  it('gives the ratio against the scenario reference and marks the reference', () => {
    const cells = [
      cell('a', 'tandem', [1, 2, 9], 5 * MIB),
      cell('a', 'rsync-inplace', [4, 4, 4], KIB),
    ];
    const rows = tableRows(cells);
    expect(rows[0]?.slice(2, 5)).toEqual(['2.000', '0.50×', '5.00 MiB']);
    expect(rows[1]?.[3]).toBe('1.00× (ref)');
    expect(renderTable(cells)).toContain('0.50×');
  });
  it('shows skipped and failed cells with their reason and no numbers', () => {
    const rows = tableRows([
      { ...cell('b', 'tandem', []), status: 'failed', reason: 'exit 2' },
      { ...cell('b', 'cp', []), status: 'skipped', reason: 'skipped (not installed)' },
    ]);
    expect([rows[0]?.[2], rows[0]?.[6]]).toEqual(['FAILED', 'exit 2']);
    expect([rows[1]?.[2], rows[1]?.[6]]).toEqual(['skipped', 'skipped (not installed)']);
  });
  it('passes (a) at or under 0.4× and within the byte budget, fails above', () => {
    const ok = evaluateTargets(
      [cell('a', 'tandem', [0.4], 7 * MIB), cell('a', 'rsync-inplace', [1])],
      ['a'],
      budget,
    );
    expect(ok.map((l) => l.verdict)).toEqual(['PASS', 'PASS']);
    const bad = evaluateTargets(
      [cell('a', 'tandem', [0.41], 7 * MIB + 1), cell('a', 'rsync-inplace', [1])],
      ['a'],
      budget,
    );
    expect(bad.map((l) => l.verdict)).toEqual(['FAIL', 'FAIL']);
  });
  it('uses 1.0× for (b),(c) and 1.2× for (d) against rsync -a', () => {
    const cells = [
      cell('b', 'tandem', [1.1]),
      cell('b', 'rsync', [1]),
      cell('d', 'tandem', [1.1]),
      cell('d', 'rsync', [1]),
    ];
    expect(evaluateTargets(cells, ['b', 'd'], undefined).map((l) => l.verdict)).toEqual([
      'FAIL',
      'PASS',
    ]);
  });
  it('fails a failed Tandem run and says n/a when Tandem was skipped', () => {
    const failed = evaluateTargets(
      [{ ...cell('c', 'tandem', []), status: 'failed' }, cell('c', 'rsync', [1])],
      ['c'],
      undefined,
    );
    expect(failed[0]?.verdict).toBe('FAIL');
    const skipped = evaluateTargets(
      [{ ...cell('c', 'tandem', []), status: 'skipped' }, cell('c', 'rsync', [1])],
      ['c'],
      undefined,
    );
    expect(skipped[0]?.verdict).toBe('n/a');
  });
});

describe('settings', () => {
  it('defaults to 3 runs, scale 1, all scenarios', () => {
    const cfg = parseConfig([], {}, '/repo');
    expect(cfg.runs).toBe(3);
    expect(cfg.scale).toBe(1);
    expect([...cfg.only]).toEqual(['a', 'b', 'c', 'd']);
    expect(cfg.baseDir).toBe('/repo/.bench-data');
    expect(cfg.tandemBin).toBe('/repo/bin/tandem.js');
  });
  it('reads BENCH_RUNS, BENCH_SCALE and --only in both spellings', () => {
    const cfg = parseConfig(['--only', 'B,a'], { BENCH_RUNS: '5', BENCH_SCALE: '0.05' }, '/repo');
    expect([cfg.runs, cfg.scale, [...cfg.only]]).toEqual([5, 0.05, ['b', 'a']]);
    expect([...parseOnly(['--only=c'])]).toEqual(['c']);
  });
  it('rejects bad values', () => {
    expect(() => parseConfig([], { BENCH_RUNS: '0' })).toThrow(ConfigError);
    expect(() => parseConfig([], { BENCH_RUNS: '1.5' })).toThrow(ConfigError);
    expect(() => parseConfig([], { BENCH_SCALE: 'x' })).toThrow(ConfigError);
    expect(() => parseOnly(['--only', 'e'])).toThrow(ConfigError);
    expect(() => parseOnly(['--only'])).toThrow(ConfigError);
    expect(() => parseOnly(['--fast'])).toThrow(ConfigError);
  });
  it("reads bench:scale's sizes: 20,000 and 100,000, a list, and 1,000,000 on request", () => {
    expect(parseScaleSizes({})).toEqual([20_000, 100_000]);
    expect(parseScaleSizes({ BENCH_SCALE_MILLION: '1' })).toEqual([20_000, 100_000, 1_000_000]);
    expect(parseScaleSizes({ BENCH_SCALE_FILES: '1_000_000, 20000,20000' })).toEqual([
      20_000, 1_000_000,
    ]);
    expect(() => parseScaleSizes({ BENCH_SCALE_FILES: '20000,,5' })).toThrow(ConfigError);
    expect(() => parseScaleSizes({ BENCH_SCALE_FILES: '1e3.5' })).toThrow(ConfigError);
  });
  it('quotes shell lines so they can be pasted', () => {
    expect(shellLine(['rsync', '-a', "/x y/it's/"], { TANDEM_HOME: '/h' })).toBe(
      `TANDEM_HOME=/h rsync -a '/x y/it'\\''s/'`,
    );
  });
});

describe('seeded data plans', () => {
  it('repeats the same numbers and bytes for the same seed, different for another', () => {
    const a = new Rng('s');
    const b = new Rng('s');
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    expect(Array.from({ length: 5 }, () => b.nextU32())).toEqual(xs);
    expect(new Rng('t').nextU32()).not.toBe(xs[0]);
    expect(seededBytes('k', 64).equals(seededBytes('k', 64))).toBe(true);
    expect(seededBytes('k', 64).equals(seededBytes('l', 64))).toBe(false);
    expect(new Rng('u').sample(10, 10).sort((x, y) => x - y)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
  });
  it('follows the engine chunk rule: 1 GiB → 1 MiB chunks, small files → 128 KiB', () => {
    expect(chunkSizeFor(GIB)).toBe(MIB);
    expect(chunkSizeFor(10 * MIB)).toBe(128 * KIB);
    expect(chunkSizeFor(1000 * GIB)).toBe(16 * MIB);
  });
  it('places the 3 big-file regions in distinct chunks, 4 KiB aligned, inside the file', () => {
    const plan = planBigFile(1);
    expect(plan.size).toBe(GIB);
    for (const r of plan.regions) {
      expect(r.offset % (4 * KIB)).toBe(0);
      expect(r.offset + r.length).toBeLessThanOrEqual(plan.size);
    }
    expect(changedChunkBytes(plan)).toEqual({ chunkSize: MIB, chunks: 3, bytes: 3 * MIB });
  });
  it('plans ~660 MB over 200 leaf folders in 20 top folders, with 50 distinct edits', () => {
    const plan = planTree(1);
    expect(plan.files).toHaveLength(20_000);
    expect(plan.totalBytes / 1e6).toBeGreaterThan(640);
    expect(plan.totalBytes / 1e6).toBeLessThan(690);
    expect(new Set(plan.files.map((f) => f.rel.split('/').slice(0, 2).join('/'))).size).toBe(200);
    expect(new Set(plan.mods.map((m) => m.index)).size).toBe(50);
    expect(
      plan.mods.filter((m) => m.size === plan.files[m.index]?.size).length,
    ).toBeGreaterThanOrEqual(25);
    expect(planTree(1).files[123]).toEqual(plan.files[123]);
  });
  it('plans the live tree in folders of 100 files of 1–8 KiB, 100 folders to a top folder', () => {
    const plan = planFolderTree(20_000);
    expect(plan.files).toHaveLength(20_000);
    expect(plan.dirs.filter((d) => !d.includes('/'))).toEqual(['t000', 't001']);
    const perFolder = new Map<string, number>();
    for (const f of plan.files) {
      const dir = f.rel.slice(0, f.rel.lastIndexOf('/'));
      perFolder.set(dir, (perFolder.get(dir) ?? 0) + 1);
      expect(f.size).toBeGreaterThanOrEqual(KIB);
      expect(f.size).toBeLessThanOrEqual(8 * KIB);
    }
    expect(perFolder.size).toBe(200);
    expect(new Set(perFolder.values())).toEqual(new Set([100]));
    expect(new Set(plan.mods.map((m) => m.index)).size).toBe(10);
    expect(planFolderTree(20_000).mods).toEqual(plan.mods);
    expect(planFolderTree(150).dirs).toEqual(['t000', 't000/l00', 't000/l01']);
  });
});

describe.runIf(existsSync('/proc/self/io'))('runMeasured', () => {
  it('counts the writes of a grandchild in write_bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-io-'));
    try {
      const r = runMeasured(
        ['sh', '-c', `head -c ${4 * MIB} /dev/zero > "${dir}/f"; exit 3`],
        join(dir, 'io.txt'),
      );
      expect(r.exitCode).toBe(3);
      expect(r.io.write_bytes).toBeGreaterThanOrEqual(4 * MIB);
      expect(r.io.wchar).toBeGreaterThanOrEqual(4 * MIB);
      expect(r.wallS).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
