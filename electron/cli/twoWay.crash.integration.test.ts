// Crash safety of `tandem sync --two-way A B` (DESIGN.md, invariant 2, for a pair whose two
// sides both write): runs killed with SIGKILL at seeded moments of their apply, while A's changes
// go to B and B's to A. Each trial changes both sides on their own (a few hundred new small files
// and a few edited files of some MiB on each, a few small files deleted), runs the sync in its own
// process group, waits until an apply shows in either side's `.tandem/` (testing/applyProbe) and
// kills the group a seeded moment later, within the span a whole apply took when measured. After
// each kill:
//   - every entry on each side holds its old content (that side's, before this sync) or its new
//     one (what the sync makes of both sides): never a mix, a truncation, or an entry that is
//     neither (a temp file outside `.tandem/` would be one);
// then the sync is run again (no kill) until it exits 0, at most 3 times, and:
//   - A and B are identical, byte for byte, and hold what the sync was to make of them;
//   - neither side's `.tandem/tmp` holds anything; `diff --two-way` exits 0.
// The files stay under 8 MiB (core/target/patchInPlace.ts: PATCH_MIN_SIZE), so no file is patched
// in place: each is written to a temp file and renamed, and no journal may leave one half patched.
// TWO_WAY_CRASH_TRIALS (default 8) and TWO_WAY_CRASH_SEED tune it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TwoWayPlan, TwoWayResult } from '../engine/pair/twoWaySession.js';
import { applyProbe } from '../testing/applyProbe.js';
import {
  cliMissingReason,
  describeRun,
  parseJsonOutput,
  runCli,
  spawnCli,
  waitForCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { createRng, patchFile, writeSeededFile, type Rng } from '../testing/rng.js';
import { makeSandbox, putFile, STATE_DIR, type Sandbox } from '../testing/sandbox.js';
import { diffTrees, stateOf, type TreeState } from '../testing/treeSnapshot.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TRIALS = Math.max(1, Math.floor(Number(process.env.TWO_WAY_CRASH_TRIALS ?? 8)));
const SEED = process.env.TWO_WAY_CRASH_SEED ?? 'tandem-two-way-crash-1';
/** New small files per side per trial. */
const NEW_FILES = 300;
/** Larger files per side, each edited in every trial. */
const BIG_FILES = 3;
const BIG_SIZE = 3 * MiB;
const MAX_RERUNS = 3;
const RUN_TIMEOUT_MS = 180_000;

const MISSING = cliMissingReason();

type Side = 'a' | 'b';

let sb: Sandbox;
let rng: Rng;
let trial = 0;
/** Small files each side made in earlier trials (a trial deletes a few of them). */
const made: Record<Side, string[]> = { a: [], b: [] };
const report: string[] = [];

const rootOf = (side: Side): string => (side === 'a' ? sb.source : sb.target);

interface SyncJson {
  plan: TwoWayPlan;
  result: TwoWayResult | null;
}

function syncArgs(json = false): string[] {
  return [
    'sync',
    '--two-way',
    sb.source,
    sb.target,
    '--yes',
    '--conflict',
    'keep-both',
    ...(json ? ['--json'] : []),
  ];
}

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { home: sb.home, timeoutMs: RUN_TIMEOUT_MS });
}

/**
 * One side's changes since the last sync: new small files in folders of their own, its big files
 * edited in a few places, a few of its earlier small files deleted. The two sides never touch the
 * same path, so the sync has no conflict and one right result.
 */
function changeSide(side: Side): void {
  const root = rootOf(side);
  for (let i = 0; i < NEW_FILES; i++) {
    const rel = `from-${side}/t${trial}/d${String(i % 12).padStart(2, '0')}/f${i}.bin`;
    putFile(root, rel, rng.bytes(1 + rng.int(12 * KiB)));
    made[side].push(rel);
  }
  for (let k = 0; k < BIG_FILES; k++) {
    const p = path.join(root, `big-${side}`, `big${k}.bin`);
    for (let n = 0; n < 4; n++)
      patchFile(p, rng.int(BIG_SIZE - 64 * KiB), rng.bytes(1 + rng.int(64 * KiB)));
  }
  const older = made[side].filter((rel) => !rel.includes(`/t${trial}/`));
  for (const i of rng.sample(older.length, Math.min(10, older.length)).reverse()) {
    fs.rmSync(path.join(root, older[i]!));
    made[side].splice(made[side].indexOf(older[i]!), 1);
  }
}

interface Expected {
  /** each side just before the sync */
  old: Record<Side, TreeState>;
  /** what the sync makes of both sides */
  next: TreeState;
}

/** Changes both sides (in sync before) and works out what the sync must make of them. */
function changeBoth(): Expected {
  trial++;
  const base = stateOf(sb.source);
  changeSide('a');
  changeSide('b');
  const old = { a: stateOf(sb.source), b: stateOf(sb.target) };
  const next = new Map(base);
  for (const side of ['a', 'b'] as const) {
    const s = old[side];
    for (const p of new Set([...base.keys(), ...s.keys()])) {
      if (s.get(p) === base.get(p)) continue;
      const v = s.get(p);
      if (v === undefined) next.delete(p);
      else next.set(p, v);
    }
  }
  return { old, next };
}

/** Entries of a side that are neither its old content nor its new one, one line each. */
function checkSide(side: Side, e: Expected): { problems: string[]; atNew: number } {
  const now = stateOf(rootOf(side));
  const old = e.old[side];
  const problems: string[] = [];
  let atNew = 0;
  for (const p of new Set([...old.keys(), ...e.next.keys(), ...now.keys()])) {
    const has = now.get(p) ?? 'absent';
    const was = old.get(p) ?? 'absent';
    const will = e.next.get(p) ?? 'absent';
    if (has === will && was !== will) atNew++;
    if (has === was || has === will) continue;
    problems.push(
      `${side.toUpperCase()}: ${JSON.stringify(p)} holds ${has}, neither its old ${was} nor its new ${will}`,
    );
  }
  // A temp file is in .tandem/tmp only: nothing the engine stages shows under another name.
  for (const p of now.keys())
    if (/(^|\/)\.tandem(\/|$)|\.tmp$|\.partial$/.test(p))
      problems.push(`${side.toUpperCase()}: ${JSON.stringify(p)} looks like a temp file`);
  return { problems, atNew };
}

function stateDifferences(has: TreeState, want: TreeState): string[] {
  return [...new Set([...has.keys(), ...want.keys()])]
    .filter((p) => has.get(p) !== want.get(p))
    .map((p) => `${JSON.stringify(p)}: ${has.get(p) ?? 'absent'}, want ${want.get(p) ?? 'absent'}`);
}

function tmpLeft(side: Side): string[] {
  const dir = path.join(rootOf(side), STATE_DIR, 'tmp');
  return fs.existsSync(dir)
    ? fs.readdirSync(dir).map((n) => `${side.toUpperCase()}: tmp/${n}`)
    : [];
}

interface WatchedRun {
  run: CliRun;
  /** ms after the spawn when an apply was first seen on either side; null if never */
  applyAt: number | null;
  /** which side's `.tandem/` showed it first */
  applySide: Side | null;
  killed: boolean;
}

/**
 * Runs the sync in its own process group, polling both sides' `.tandem/` for the start of an
 * apply; with `killAfterMs`, kills the whole group that long after it.
 */
async function runWatched(killAfterMs: number | null): Promise<WatchedRun> {
  const probes = { a: applyProbe(sb.source), b: applyProbe(sb.target) };
  const args = syncArgs();
  const child = spawnCli(args, { home: sb.home, detached: true });
  const started = performance.now();
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // it finished first
    }
  };
  let timer: NodeJS.Timeout | undefined;
  let applyAt: number | null = null;
  let applySide: Side | null = null;
  const poll = setInterval(() => {
    if (applyAt !== null) return;
    applySide = probes.a() ? 'a' : probes.b() ? 'b' : null;
    if (applySide === null) return;
    applyAt = performance.now() - started;
    if (killAfterMs !== null) timer = setTimeout(killGroup, killAfterMs);
  }, 1);
  const run = await waitForCli(child, args, RUN_TIMEOUT_MS);
  clearInterval(poll);
  clearTimeout(timer);
  return { run, applyAt, applySide, killed: run.signal === 'SIGKILL' && !run.timedOut };
}

/** Syncs again (no kill) until a run exits 0, at most MAX_RERUNS runs; returns a line on each. */
async function syncUntilDone(label: string): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 1; i <= MAX_RERUNS; i++) {
    const run = await cli(syncArgs(true));
    expect(run.signal, `${label}: rerun ${i}: ${describeRun(run)}`).toBeNull();
    expect([0, 1], `${label}: rerun ${i}: ${describeRun(run)}`).toContain(run.code);
    expect(run.stderr, `${label}: a stack trace: ${describeRun(run)}`).not.toMatch(/^\s+at /m);
    const out = parseJsonOutput<SyncJson>(run);
    const s = out.plan.summary;
    lines.push(
      `rerun ${i}: exit ${run.code}, ${s.aToB} A → B, ${s.bToA} B → A, ${s.conflicts} conflicts, ${out.plan.agreed} agreed` +
        (run.stderr.trim()
          ? ` (${JSON.stringify(run.stderr.trim().split('\n')[0]!.slice(0, 120))})`
          : ''),
    );
    // No conflict may come of a killed run: a path written on one side before its baseline moved
    // agrees on both, which only moves the baseline.
    expect(out.plan.conflicts, `${label}: rerun ${i} found conflicts`).toEqual([]);
    if (run.code === 0) return lines;
  }
  throw new Error(`${label}: no rerun exited 0 in ${MAX_RERUNS} runs:\n  ${lines.join('\n  ')}`);
}

/** Both sides identical and as expected, no temp file left, and `diff --two-way` finds nothing. */
async function expectSynced(label: string, next: TreeState): Promise<void> {
  expect(diffTrees(sb.source, sb.target, { mode: true }), `${label}: A and B differ`).toEqual([]);
  expect(
    stateDifferences(stateOf(sb.source), next),
    `${label}: A is not what the sync makes`,
  ).toEqual([]);
  expect([...tmpLeft('a'), ...tmpLeft('b')], `${label}: temp files left`).toEqual([]);
  const diff = await cli(['diff', '--two-way', sb.source, sb.target]);
  expect(diff.code, `${label}: ${describeRun(diff)}`).toBe(0);
}

describe.skipIf(MISSING !== null)(
  `tandem sync --two-way killed with SIGKILL mid-apply (${TRIALS} trials, seed ${SEED})${MISSING ? ` — skipped: the CLI is not built (${MISSING})` : ''}`,
  () => {
    /** How long an apply took (from its first sign in `.tandem/` to the exit), measured. */
    let applySpan = 0;

    beforeAll(async () => {
      sb = makeSandbox('two-way-crash');
      rng = createRng(SEED);
      // The baseline: A's and B's own big files, and a few hundred small files, synced once.
      for (const side of ['a', 'b'] as const)
        for (let k = 0; k < BIG_FILES; k++) {
          const p = path.join(sb.source, `big-${side}`, `big${k}.bin`);
          fs.mkdirSync(path.dirname(p), { recursive: true });
          writeSeededFile(p, BIG_SIZE, `${SEED}/big-${side}-${k}`);
        }
      for (let i = 0; i < NEW_FILES; i++) {
        const side: Side = i % 2 ? 'b' : 'a';
        const rel = `from-${side}/t0/d${String(i % 12).padStart(2, '0')}/f${i}.bin`;
        putFile(sb.source, rel, rng.bytes(1 + rng.int(12 * KiB)));
        made[side].push(rel);
      }
      const first = await cli(syncArgs());
      expect(first.code, describeRun(first)).toBe(0);
      expect(diffTrees(sb.source, sb.target, { mode: true })).toEqual([]);

      // One whole run of a trial's changes, not killed: how long its apply takes.
      const e = changeBoth();
      const measured = await runWatched(null);
      expect(measured.run.code, describeRun(measured.run)).toBe(0);
      expect(
        measured.applyAt,
        "no apply was seen in either side's .tandem (tmp, versions, journal)",
      ).not.toBeNull();
      applySpan = measured.run.ms - measured.applyAt!;
      await expectSynced('the measured run', e.next);
      report.push(
        `measured run: ${Math.round(measured.run.ms)} ms, apply first seen on ${measured.applySide!.toUpperCase()} at ${Math.round(measured.applyAt!)} ms`,
      );
    }, 300_000);

    afterAll(() => {
      console.log(`two-way crash trials (seed ${SEED}):\n  ${report.join('\n  ')}`);
      sb?.cleanup();
    });

    it('leaves every entry on each side old or new after each kill, and a rerun makes A and B identical', async () => {
      let killedInApply = 0;
      for (let i = 1; i <= TRIALS; i++) {
        const label = `trial ${i}`;
        const e = changeBoth();
        const delay = rng.next() * applySpan;
        const w = await runWatched(delay);
        if (!w.killed) expect(w.run.code, `${label}: ${describeRun(w.run)}`).toBe(0);
        if (w.killed && w.applyAt !== null) killedInApply++;

        const after = { a: checkSide('a', e), b: checkSide('b', e) };
        expect(
          [...after.a.problems, ...after.b.problems],
          `${label}: after a kill ${Math.round(delay)} ms after the apply began`,
        ).toEqual([]);

        const reruns = await syncUntilDone(label);
        await expectSynced(label, e.next);
        const changed = (side: Side) => stateDifferences(e.old[side], e.next).length;
        report.push(
          `${label}: ${w.killed ? `killed ${Math.round(delay)} ms after an apply showed on ${w.applySide?.toUpperCase() ?? '?'}` : `finished in ${Math.round(w.run.ms)} ms, before the kill`}; ` +
            `A had ${after.a.atNew} of ${changed('a')} entries new, B ${after.b.atNew} of ${changed('b')}; ${reruns.join('; ')}`,
        );
      }
      expect(
        killedInApply,
        `none of the ${TRIALS} runs was killed during its apply`,
      ).toBeGreaterThan(0);
    }, 900_000);
  },
);
