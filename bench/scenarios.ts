// Runs the scenarios: for each run and each tool, rebuild the same starting state (fresh target
// synced by that tool, fresh TANDEM_HOME, the same seeded edits), measure, verify, undo the edits.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchConfig, ScenarioId, Tool } from './config.js';
import {
  applyBigMods,
  applyTreeMods,
  planBigFile,
  planTree,
  restoreBigMods,
  restoreTreeMods,
  writeBigFile,
  writeTree,
  type BigFilePlan,
  type TreePlan,
} from './data.js';
import { dropCaches, flush, runMeasured, type RunResult } from './measure.js';
import { formatBytes, formatSeconds, type Cell } from './report.js';
import { verifyTree } from './verify.js';

export interface BenchContext {
  cfg: BenchConfig;
  tools: Tool[];
  dataDir: string;
  /** Drop the page cache before each measured run (only when permitted and asked for). */
  cold: boolean;
  cells: Cell[];
  /** Engine or tool problems, each with the exact command and its error, for the final report. */
  problems: string[];
  log(msg: string): void;
}

class StepFailed extends Error {}

/** Quotes argv for a copy-pasteable shell command line. */
export function shellLine(argv: readonly string[], env: Record<string, string> = {}): string {
  const q = (s: string): string =>
    /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
  return [...Object.entries(env).map(([k, v]) => `${k}=${q(v)}`), ...argv.map(q)].join(' ');
}

function cell(ctx: BenchContext, scenario: ScenarioId, tool: Tool): Cell {
  let c = ctx.cells.find((x) => x.scenario === scenario && x.tool === tool.id);
  if (!c) {
    const reason = tool.missing();
    c = {
      scenario,
      tool: tool.id,
      label: tool.label,
      status: reason ? 'skipped' : 'ok',
      samples: [],
      ...(reason ? { reason } : {}),
    };
    ctx.cells.push(c);
  }
  return c;
}

function freshDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { recursive: true });
}

interface Step {
  ctx: BenchContext;
  tool: Tool;
  source: string;
  target: string;
  home: string;
  what: string;
}

/** A step for `tool` from `source` into an empty target with a fresh TANDEM_HOME. */
function freshStep(ctx: BenchContext, tool: Tool, source: string): Step {
  const s: Step = {
    ctx,
    tool,
    source,
    target: join(ctx.dataDir, 'target'),
    home: join(ctx.dataDir, 'home'),
    what: '',
  };
  freshDir(s.target);
  freshDir(s.home);
  return s;
}

/** Runs the tool once, then checks its exit code and that the target equals the source. */
function step(s: Step, measured: boolean): RunResult {
  const { ctx, tool } = s;
  const argv = tool.argv(s.source, s.target);
  const env = { TANDEM_HOME: s.home };
  if (measured) {
    flush(ctx.dataDir);
    if (ctx.cold) dropCaches();
  }
  const r = runMeasured(argv, join(ctx.dataDir, 'io.txt'), { ...process.env, ...env });
  const cmd = shellLine(argv, tool.id === 'tandem' ? env : {});
  if (r.exitCode !== 0) {
    const err = (r.stderr.trim() || r.stdout.trim()).split('\n').slice(-5).join('\n    ');
    ctx.problems.push(
      `${tool.label}, ${s.what}: exit ${r.exitCode}\n  $ ${cmd}\n    ${err || '(no output)'}`,
    );
    throw new StepFailed(
      `${s.what}: exit ${r.exitCode}: ${err.split('\n')[0] ?? ''}`.slice(0, 120),
    );
  }
  const v = verifyTree(s.source, s.target);
  if (v.errors.length > 0) {
    const msg = `TARGET DIFFERS FROM SOURCE after ${tool.label} (${s.what}):\n    ${v.errors.join('\n    ')}`;
    ctx.log(`\n!!! ${msg}\n`);
    ctx.problems.push(`${msg}\n  $ ${cmd}`);
    throw new StepFailed(
      `${s.what}: target differs from source (${v.errors.length}${v.errors.length >= 20 ? '+' : ''} entries)`,
    );
  }
  if (v.warnings.length > 0) {
    ctx.problems.push(
      `${tool.label}, ${s.what}: metadata differs (content equal):\n    ${v.warnings.slice(0, 5).join('\n    ')}\n  $ ${cmd}`,
    );
  }
  return r;
}

function record(ctx: BenchContext, c: Cell, r: RunResult, tag: string): void {
  c.samples.push({ wallS: r.wallS, written: r.io.write_bytes, wchar: r.io.wchar });
  ctx.log(
    `  ${tag.padEnd(8)} ${c.label.padEnd(36)} ${formatSeconds(r.wallS).padStart(8)} s  ${formatBytes(r.io.write_bytes).padStart(10)} written`,
  );
}

function fail(cells: Cell[], e: unknown): void {
  if (!(e instanceof StepFailed)) throw e;
  for (const c of cells) {
    if (c.status === 'ok') {
      c.status = 'failed';
      c.reason = e.message;
    }
  }
}

/** Scenario (a): one big file, 3 scattered 4 KiB regions changed after an initial sync. */
export function runBigFile(ctx: BenchContext): BigFilePlan {
  const plan = planBigFile(ctx.cfg.scale);
  const source = join(ctx.dataDir, 'a-source');
  ctx.log(`generating ${formatBytes(plan.size)} file …`);
  writeBigFile(source, plan);
  for (let run = 1; run <= ctx.cfg.runs; run++) {
    ctx.log(`(a) run ${run}/${ctx.cfg.runs}`);
    for (const tool of ctx.tools) {
      const c = cell(ctx, 'a', tool);
      if (c.status !== 'ok') continue;
      const s = freshStep(ctx, tool, source);
      try {
        step({ ...s, what: `(a) initial sync, run ${run}` }, false);
        const saved = applyBigMods(source, plan);
        try {
          record(ctx, c, step({ ...s, what: `(a) measured sync, run ${run}` }, true), '(a)');
        } finally {
          restoreBigMods(source, plan, saved);
        }
      } catch (e) {
        fail([c], e);
      }
    }
  }
  rmSync(join(ctx.dataDir, 'target'), { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
  return plan;
}

/** Scenarios (d) first copy, then (b) after the seeded edits, then (c) the same again, per run. */
export function runTree(ctx: BenchContext, wanted: ReadonlySet<ScenarioId>): TreePlan {
  const plan = planTree(ctx.cfg.scale);
  const source = join(ctx.dataDir, 'tree-source');
  ctx.log(`generating ${plan.files.length} files, ${formatBytes(plan.totalBytes)} …`);
  writeTree(source, plan);
  for (let run = 1; run <= ctx.cfg.runs; run++) {
    ctx.log(`(b,c,d) run ${run}/${ctx.cfg.runs}`);
    for (const tool of ctx.tools) {
      const cs = (['d', 'b', 'c'] as const)
        .filter((x) => wanted.has(x))
        .map((x) => cell(ctx, x, tool));
      const get = (id: ScenarioId): Cell | undefined => cs.find((c) => c.scenario === id);
      const ok = (c: Cell | undefined): boolean => c?.status === 'ok';
      const dc = get('d');
      const bc = get('b');
      const cc = get('c');
      if (dc ? !ok(dc) : !ok(bc) && !ok(cc)) continue;
      const s = freshStep(ctx, tool, source);
      // A failure breaks the scenario it happens in and those that start from its result.
      let broken: ScenarioId[] = ['d', 'b', 'c'];
      try {
        const d = step({ ...s, what: `(d) first copy, run ${run}` }, dc !== undefined);
        if (dc) record(ctx, dc, d, '(d)');
        if (!ok(bc) && !ok(cc)) continue;
        applyTreeMods(source, plan);
        try {
          broken = ['b', 'c'];
          const b = step({ ...s, what: `(b) sync after edits, run ${run}` }, bc !== undefined);
          if (bc) record(ctx, bc, b, '(b)');
          broken = ['c'];
          if (ok(cc))
            record(
              ctx,
              cc as Cell,
              step({ ...s, what: `(c) rerun, nothing changed, run ${run}` }, true),
              '(c)',
            );
        } finally {
          restoreTreeMods(source, plan);
        }
      } catch (e) {
        fail(
          cs.filter((c) => broken.includes(c.scenario)),
          e,
        );
      }
    }
  }
  rmSync(join(ctx.dataDir, 'target'), { recursive: true, force: true });
  rmSync(source, { recursive: true, force: true });
  return plan;
}
