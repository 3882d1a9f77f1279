// The benchmark's output, all pure: per-tool results per scenario, the table, and the PASS/FAIL
// lines for the targets of the performance issue.
import { REFERENCE, SCENARIO_TITLES, type ScenarioId, type ToolId } from './config.js';
import { median } from './measure.js';

export interface Sample {
  wallS: number;
  /** write_bytes of the tool and its children (undefined when /proc io is unavailable). */
  written: number | undefined;
  wchar: number | undefined;
}

export interface Cell {
  scenario: ScenarioId;
  tool: ToolId;
  label: string;
  status: 'ok' | 'skipped' | 'failed';
  samples: Sample[];
  /** Why the cell is skipped or failed. */
  reason?: string;
}

export function formatBytes(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${units[u]}`;
}

export function formatSeconds(s: number): string {
  return s >= 100 ? s.toFixed(1) : s.toFixed(3);
}

/** A plain-text table: a header, a rule, and rows; numeric columns right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  right: readonly boolean[] = [],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join(' | ')
      .trimEnd();
  return [
    line(headers),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map((r) => line(headers.map((_, i) => r[i] ?? ''))),
  ].join('\n');
}

export function medianWall(cell: Cell | undefined): number | undefined {
  return cell && cell.status === 'ok' && cell.samples.length > 0
    ? median(cell.samples.map((s) => s.wallS))
    : undefined;
}

function medianOf(cell: Cell, pick: (s: Sample) => number | undefined): number | undefined {
  const v = cell.samples.map(pick).filter((x): x is number => x !== undefined);
  return v.length > 0 ? median(v) : undefined;
}

export function medianWritten(cell: Cell | undefined): number | undefined {
  return cell && cell.status === 'ok' ? medianOf(cell, (s) => s.written) : undefined;
}

export function findCell(
  cells: readonly Cell[],
  scenario: ScenarioId,
  tool: ToolId,
): Cell | undefined {
  return cells.find((c) => c.scenario === scenario && c.tool === tool);
}

export const TABLE_HEADERS = [
  'scenario',
  'tool',
  'median wall s',
  'ratio vs ref',
  'bytes written (write_bytes)',
  'wchar',
  'runs (s)',
];

/** One row per cell, in the order given; the ratio is against the scenario's reference tool. */
export function tableRows(cells: readonly Cell[]): string[][] {
  return cells.map((c) => {
    const scen = SCENARIO_TITLES[c.scenario];
    if (c.status !== 'ok')
      return [
        scen,
        c.label,
        c.status === 'skipped' ? 'skipped' : 'FAILED',
        '',
        '',
        '',
        c.reason ?? '',
      ];
    const wall = medianWall(c) as number;
    const ref = medianWall(findCell(cells, c.scenario, REFERENCE[c.scenario]));
    const ratio =
      ref === undefined || ref <= 0
        ? 'n/a'
        : `${(wall / ref).toFixed(2)}×${c.tool === REFERENCE[c.scenario] ? ' (ref)' : ''}`;
    const runs = c.samples.map((s) => formatSeconds(s.wallS)).join(' ');
    return [
      scen,
      c.label,
      formatSeconds(wall),
      ratio,
      formatBytes(medianWritten(c)),
      formatBytes(medianOf(c, (s) => s.wchar)),
      runs,
    ];
  });
}

export function renderTable(cells: readonly Cell[]): string {
  return formatTable(TABLE_HEADERS, tableRows(cells), [
    false,
    false,
    true,
    true,
    true,
    true,
    false,
  ]);
}

export interface TargetLine {
  verdict: 'PASS' | 'FAIL' | 'n/a';
  text: string;
}

/** Bytes a chunk-level patch of the big file may write: changed chunks + their journal copy + slack. */
export interface WriteBudget {
  chunkBytes: number;
  chunks: number;
  chunkSize: number;
  slack: number;
}

export function budgetTotal(b: WriteBudget): number {
  return 2 * b.chunkBytes + b.slack;
}

const LIMITS: Record<ScenarioId, number> = { a: 0.4, b: 1.0, c: 1.0, d: 1.2 };

function timeLine(cells: readonly Cell[], s: ScenarioId): TargetLine {
  const ref = findCell(cells, s, REFERENCE[s]);
  const tandem = findCell(cells, s, 'tandem');
  const what = `(${s}) Tandem time ≤ ${LIMITS[s].toFixed(1)}× ${ref?.label ?? REFERENCE[s]}`;
  const t = medianWall(tandem);
  const r = medianWall(ref);
  if (t === undefined)
    return {
      verdict: tandem?.status === 'failed' ? 'FAIL' : 'n/a',
      text: `${what}: tandem ${tandem?.status ?? 'not run'}`,
    };
  if (r === undefined)
    return { verdict: 'n/a', text: `${what}: reference ${ref?.status ?? 'not run'}` };
  const ratio = t / r;
  return {
    verdict: ratio <= LIMITS[s] ? 'PASS' : 'FAIL',
    text: `${what}: ${formatSeconds(t)} s vs ${formatSeconds(r)} s = ${ratio.toFixed(2)}×`,
  };
}

function bytesLine(cells: readonly Cell[], budget: WriteBudget): TargetLine {
  const tandem = findCell(cells, 'a', 'tandem');
  const what = '(a) Tandem bytes written ≤ changed chunks + journal';
  const w = medianWritten(tandem);
  if (w === undefined)
    return {
      verdict: tandem?.status === 'failed' ? 'FAIL' : 'n/a',
      text: `${what}: tandem ${tandem?.status ?? 'not run'}`,
    };
  const limit = budgetTotal(budget);
  return {
    verdict: w <= limit ? 'PASS' : 'FAIL',
    text:
      `${what}: ${formatBytes(w)} (${w} B) vs budget ${formatBytes(limit)} = 2 × ${budget.chunks} chunk(s) of ` +
      `${formatBytes(budget.chunkSize)} + ${formatBytes(budget.slack)} for index and journal headers`,
  };
}

/** The targets, for the scenarios that ran. */
export function evaluateTargets(
  cells: readonly Cell[],
  scenarios: readonly ScenarioId[],
  budget: WriteBudget | undefined,
): TargetLine[] {
  const out: TargetLine[] = [];
  for (const s of scenarios) {
    out.push(timeLine(cells, s));
    if (s === 'a' && budget) out.push(bytesLine(cells, budget));
  }
  return out;
}

export function renderTargets(lines: readonly TargetLine[]): string {
  return lines.map((l) => `${l.verdict.padEnd(4)}  ${l.text}`).join('\n');
}
