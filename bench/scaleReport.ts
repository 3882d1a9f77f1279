// bench:scale's report, all pure: the live pair's figures per tree size, the cost per file, and
// issue 11's goals as PASS/FAIL lines.
import { median } from './measure.js';
import { formatBytes, formatTable } from './report.js';

/** Issue 11's goals: edit → applied (the quiet rule included), and for the 1,000,000-file pair. */
export const EDIT_GOAL_MS = 1_500;
export const IDLE_GOAL_BYTES = 500e6;
export const READY_GOAL_MS = 60_000;
/** "OS watches ≤ folders + a constant": the constant allowed here. */
export const WATCH_SLACK = 16;

/** What one tree size measured; a phase that did not finish leaves its fields out. */
export interface Row {
  files: number;
  /** both sides, roots included */
  folders: number;
  copyMs?: number;
  copyCpuS?: number;
  copyPeak?: number;
  readyMs?: number;
  readyCpuS?: number;
  idleRss?: number;
  peakRss?: number;
  watches?: number;
  editMs: number[];
  /** the service's own cycle times during the edits (its log), ms */
  editCycles: CycleTimes[];
  /** what went wrong, if anything: the phase and why */
  problem?: string;
}

/** One cycle of the service, as its log line times it (ms). */
export interface CycleTimes {
  open: number;
  plan: number;
  apply?: number;
  total: number;
}

const COST_TITLE =
  'Cost per file (files of one side; bytes per added file: resident idle against the size above it)';
const GOALS_TITLE =
  'Goals (issue 11; memory, watches and ready are set for the 1,000,000-file pair):';

export const secs = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
export const count = (n: number): string => n.toLocaleString('en-US');

/** Cycles in one line: how many, the median of each phase, the slowest. */
export function showCycles(cycles: readonly CycleTimes[]): string {
  if (cycles.length === 0) return 'none logged';
  const pick = (f: (c: CycleTimes) => number | undefined): string => {
    const xs = cycles.map(f).filter((x): x is number => x !== undefined);
    return xs.length ? `${count(Math.round(median(xs)))}` : '–';
  };
  return `${cycles.length} cycles, median ms: open ${pick((c) => c.open)}, plan ${pick((c) => c.plan)}, apply ${pick((c) => c.apply)}, total ${pick((c) => c.total)} (max ${count(Math.max(...cycles.map((c) => c.total)))})`;
}

const cell = (v: number | undefined, show: (v: number) => string): string =>
  v === undefined ? '–' : show(v);

/** The report: `method` (lines saying how it was measured), both tables, the goals, the notes. */
export function renderScale(rows: readonly Row[], method: readonly string[]): string {
  const perFile = (v: number | undefined, r: Row, unit: number): string =>
    cell(v, (x) => count(Math.round((x * unit) / r.files)));
  const live = formatTable(
    [
      'files',
      'folders (both sides)',
      'first copy',
      'files/s',
      'ready (warm index)',
      'resident idle',
      'peak',
      'peak, first copy',
      'inotify watches',
      'edit → applied median',
      'max',
    ],
    rows.map((r) => [
      count(r.files),
      count(r.folders),
      cell(r.copyMs, secs),
      cell(r.copyMs, (ms) => count(Math.round(r.files / (ms / 1000)))),
      cell(r.readyMs, secs),
      cell(r.idleRss, formatBytes),
      cell(r.peakRss, formatBytes),
      cell(r.copyPeak, formatBytes),
      cell(r.watches, count),
      r.editMs.length ? `${count(Math.round(median(r.editMs)))} ms` : '–',
      r.editMs.length ? `${count(Math.round(Math.max(...r.editMs)))} ms` : '–',
    ]),
    [true, true, true, true, true, true, true, true, true, true, true],
  );
  const cost = formatTable(
    [
      'files',
      'resident idle, bytes/file',
      'bytes per added file',
      'ready CPU, µs/file',
      'first copy CPU, µs/file',
      'first copy wall, µs/file',
    ],
    rows.map((r, i) => {
      const prev = rows.slice(0, i).findLast((p) => p.idleRss !== undefined);
      return [
        count(r.files),
        perFile(r.idleRss, r, 1),
        prev && r.idleRss !== undefined
          ? count(Math.round((r.idleRss - prev.idleRss!) / (r.files - prev.files)))
          : '–',
        perFile(r.readyCpuS, r, 1e6),
        perFile(r.copyCpuS, r, 1e6),
        perFile(r.copyMs, r, 1e3),
      ];
    }),
    [true, true, true, true, true, true],
  );
  const goals: string[] = [];
  const verdict = (ok: boolean | undefined): string =>
    ok === undefined ? 'n/a ' : ok ? 'PASS' : 'FAIL';
  for (const r of rows) {
    const n = count(r.files);
    const med = r.editMs.length ? median(r.editMs) : undefined;
    goals.push(
      `${verdict(med === undefined ? undefined : med <= EDIT_GOAL_MS)} ${n}: edit → applied median ≤ ${secs(EDIT_GOAL_MS)} after the last write: ${cell(med, (x) => `${count(Math.round(x))} ms`)}`,
      `${verdict(r.idleRss === undefined ? undefined : r.idleRss <= IDLE_GOAL_BYTES)} ${n}: resident once idle ≤ 500 MB: ${cell(r.idleRss, (x) => `${count(Math.round(x / 1e6))} MB`)}`,
      `${verdict(r.watches === undefined ? undefined : r.watches <= r.folders + WATCH_SLACK)} ${n}: inotify watches ≤ folders + ${WATCH_SLACK}: ${cell(r.watches, count)} for ${count(r.folders)} folders`,
      `${verdict(r.readyMs === undefined ? undefined : r.readyMs <= READY_GOAL_MS)} ${n}: ready ≤ ${secs(READY_GOAL_MS)} after start with a warm index: ${cell(r.readyMs, secs)}`,
    );
  }
  const measured = rows.filter((r) => r.editMs.length);
  if (measured.length > 1) {
    const [a, b] = [measured[0]!, measured.at(-1)!];
    goals.push(
      `the edit at ${count(b.files)} files against ${count(a.files)}: median ${(median(b.editMs) / median(a.editMs)).toFixed(2)}× (goal: the same)`,
    );
  }
  const notes = rows.flatMap((r) => [
    ...(r.editCycles.length
      ? [`${count(r.files)}: the service's cycles during the edits: ${showCycles(r.editCycles)}`]
      : []),
    ...(r.problem ? [`${count(r.files)}: stopped: ${r.problem}`] : []),
  ]);
  return ['', ...method, '', live, '', COST_TITLE, '', cost, '', GOALS_TITLE, ...goals]
    .concat(notes.length ? ['', ...notes] : [], [''])
    .join('\n');
}
