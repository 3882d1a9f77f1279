// bench:scale's report: the cost per file and per added file, the goals, and what a size that
// stopped early shows.
import { describe, expect, it } from 'vitest';
import { renderScale, showCycles, type Row } from './scaleReport.js';

const full: Row = {
  files: 20_000,
  folders: 406,
  copyMs: 10_000,
  copyCpuS: 8,
  copyPeak: 300e6,
  readyMs: 2_000,
  readyCpuS: 2,
  idleRss: 160e6,
  peakRss: 200e6,
  watches: 406,
  editMs: [1_100, 1_200, 1_300, 1_400, 5_000],
  editCycles: [
    { open: 5, plan: 100, total: 110 },
    { open: 7, plan: 120, apply: 8, total: 140 },
  ],
};
const stopped: Row = {
  files: 100_000,
  folders: 2_006,
  copyMs: 80_000,
  copyCpuS: 60,
  readyMs: 70_000,
  readyCpuS: 20,
  idleRss: 960e6,
  watches: 2_100,
  editMs: [],
  editCycles: [],
  problem: 'interrupted (SIGINT)',
};

describe('renderScale', () => {
  const text = renderScale([full, stopped], ['how it was measured']);
  const lines = text.split('\n');
  const row = (files: string, title: string): string[] => {
    const at = lines.findIndex((l) => l.trimStart().startsWith(title));
    const r = lines.slice(at).find((l) => l.trimStart().startsWith(`${files} |`));
    return (r ?? '').split('|').map((c) => c.trim());
  };

  it('gives memory and CPU per file, and the memory each file past the smaller size added', () => {
    expect(row('20,000', 'Cost per file')).toEqual(['20,000', '8,000', '–', '100', '400', '500']);
    // (960 − 160) MB over the 80,000 files added
    expect(row('100,000', 'Cost per file')).toEqual([
      '100,000',
      '9,600',
      '10,000',
      '200',
      '600',
      '800',
    ]);
  });

  it('shows a phase that did not run as –, and why the size stopped', () => {
    const live = row('100,000', 'files | folders');
    expect(live.at(-1)).toBe('–');
    expect(live.at(-2)).toBe('–');
    expect(text).toContain('100,000: stopped: interrupted (SIGINT)');
    expect(text).toContain('n/a  100,000: edit → applied median');
  });

  it('says PASS and FAIL against the goals, and compares the edit across sizes only when both ran', () => {
    expect(text).toContain(
      'PASS 20,000: edit → applied median ≤ 1.50 s after the last write: 1,300 ms',
    );
    expect(text).toContain('FAIL 100,000: resident once idle ≤ 500 MB: 960 MB');
    expect(text).toContain('FAIL 100,000: inotify watches ≤ folders + 16: 2,100 for 2,006 folders');
    expect(text).toContain('FAIL 100,000: ready ≤ 60.0 s after start with a warm index: 70.0 s');
    expect(text).not.toContain('against 20,000');
    expect(renderScale([full, { ...full, files: 40_000 }], [])).toContain(
      'the edit at 40,000 files against 20,000: median 1.00×',
    );
  });

  it('sums up cycles by the median of each phase', () => {
    expect(showCycles(full.editCycles)).toBe(
      '2 cycles, median ms: open 6, plan 110, apply 8, total 125 (max 140)',
    );
    expect(showCycles([])).toBe('none logged');
  });
});
