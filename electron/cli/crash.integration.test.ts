// Crash safety of `tandem sync` (DESIGN.md, invariant 2): runs killed with SIGKILL at seeded moments
// spread over a measured run. After each kill every target entry holds its old or its new content
// (an in-place patch may be half done only while its journal waits for recovery); after
// `tandem diff`, which recovers first, strictly so; and a final sync leaves the target identical.
// CRASH_TRIALS (default 20), CRASH_SIZE_MIB (default 256) and CRASH_SEED tune it.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import {
  cliMissingReason,
  describeRun,
  parseJsonOutput,
  runCli,
  spawnCli,
  waitForCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { createRng, seededBytes, type Rng } from '../testing/rng.js';
import { makeSandbox, putFile, type Sandbox } from '../testing/sandbox.js';
import { applyProbe } from '../testing/applyProbe.js';
import { isPageMix } from '../testing/pageMix.js';
import { diffTrees, stateDirPaths, stateOf, type TreeState } from '../testing/treeSnapshot.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZE = Math.round(Number(process.env.CRASH_SIZE_MIB ?? 256) * MiB);
const TRIALS = Math.max(3, Math.floor(Number(process.env.CRASH_TRIALS ?? 20)));
const SEED = process.env.CRASH_SEED ?? 'tandem-crash-1';
const BIG = 'big.bin';
const SMALL_FILES = 2000;

/** The contract's chunk size: the smallest power of two ≥ 128 KiB with size < 2000 × chunk. */
function chunkSizeFor(size: number): number {
  let c = 128 * KiB;
  while (c < 16 * MiB && size >= 2000 * c) c *= 2;
  return c;
}

interface Version {
  state: TreeState;
  big: Buffer;
}

type Variant = 'patch' | 'rewrite' | 'manyFiles';

interface SyncJson {
  plan: Plan;
  result: ApplyResult | null;
}

let sb: Sandbox;
let rng: Rng;
let current: Version;
let smallFiles: string[];
let created = 0;
const report: string[] = [];

function src(rel: string): string {
  return path.join(sb.source, rel);
}

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { home: sb.home, timeoutMs: 180_000 });
}

/** Overwrites `length` random bytes at `pos` in the source's big file and in `big`. */
function scribble(big: Buffer, pos: number, length: number): void {
  const data = rng.bytes(length);
  data.copy(big, pos);
  const fd = fs.openSync(src(BIG), 'r+');
  try {
    fs.writeSync(fd, data, 0, data.length, pos);
  } finally {
    fs.closeSync(fd);
  }
}

/** Changes the source the way a variant does, and returns what the target should become. */
function mutate(variant: Variant): Version {
  const big = Buffer.from(current.big);
  const chunk = chunkSizeFor(SIZE);
  const chunks = Math.ceil(SIZE / chunk);
  if (variant === 'patch') {
    // scattered small changes to a few percent of the chunks: the journaled in-place patch,
    // enough of them that the journal, versions and patch writes take a window a kill can hit
    for (const c of rng.sample(chunks, Math.min(48, Math.ceil(chunks / 8)))) {
      const len = 1 + rng.int(32 * KiB);
      const start = c * chunk + rng.int(Math.max(1, Math.min(chunk, SIZE - c * chunk) - len));
      scribble(big, start, Math.min(len, SIZE - start));
    }
  } else if (variant === 'rewrite') {
    // most chunks changed: a temp file renamed into place
    for (const c of rng.sample(chunks, Math.ceil(chunks * 0.7))) {
      const start = c * chunk + rng.int(Math.max(1, Math.min(chunk, SIZE - c * chunk) - 64));
      scribble(big, start, Math.min(64, SIZE - start));
    }
  } else {
    // many small files: changed, emptied, deleted and created
    const picks = rng.sample(smallFiles.length, 360);
    const removed = new Set<number>();
    picks.forEach((i, k) => {
      const rel = smallFiles[i]!;
      if (k < 300) fs.writeFileSync(src(rel), rng.bytes(rng.int(16 * KiB)));
      else if (k < 320) fs.writeFileSync(src(rel), '');
      else {
        fs.rmSync(src(rel));
        removed.add(i);
      }
    });
    smallFiles = smallFiles.filter((_, i) => !removed.has(i));
    for (let k = 0; k < 60; k++) {
      const rel = `many/new-${++created % 5}/n${created}.bin`;
      putFile(sb.source, rel, rng.bytes(rng.int(8 * KiB)));
      smallFiles.push(rel);
    }
  }
  return { state: stateOf(sb.source), big };
}

interface Check {
  problems: string[];
  /** files found half patched while a journal was pending */
  torn: number;
  /** entries already holding the new content (where old and new differ) */
  atNew: number;
}

/** Every target entry is its old or new content; before recovery a journaled patch may be half done. */
function checkTarget(old: Version, next: Version, beforeRecovery: boolean): Check {
  const now = stateOf(sb.target);
  const check: Check = { problems: [], torn: 0, atNew: 0 };
  const journal = stateDirPaths(sb.target).filter((p) => p.startsWith('journal/'));
  for (const p of new Set([...old.state.keys(), ...next.state.keys(), ...now.keys()])) {
    const has = now.get(p) ?? 'absent';
    const was = old.state.get(p) ?? 'absent';
    const will = next.state.get(p) ?? 'absent';
    if (has === will && was !== will) check.atNew++;
    if (has === was || has === will) continue;
    if (
      beforeRecovery &&
      p === BIG &&
      journal.length > 0 &&
      isPageMix(path.join(sb.target, p), old.big, next.big)
    ) {
      check.torn++;
      continue;
    }
    const why = p === BIG && beforeRecovery ? ` (journal files: ${journal.length})` : '';
    check.problems.push(
      `${JSON.stringify(p)}: holds ${has}, neither old ${was} nor new ${will}${why}`,
    );
  }
  return check;
}

/** Paths where two states differ, one line each. */
function stateDifferences(has: TreeState, want: TreeState): string[] {
  return [...new Set([...has.keys(), ...want.keys()])]
    .filter((p) => has.get(p) !== want.get(p))
    .map((p) => `${JSON.stringify(p)}: ${has.get(p) ?? 'absent'}, want ${want.get(p) ?? 'absent'}`);
}

/** When to kill a run: so long after it was spawned, or after its apply phase was seen to start. */
interface KillPlan {
  after: 'spawn' | 'applyStart';
  delayMs: number;
}

interface WatchedRun {
  run: CliRun;
  /** ms after the spawn when the apply phase was seen to start; null if never */
  applyAt: number | null;
  killed: boolean;
}

/** Runs the CLI in its own process group, watching for apply, and kills it as planned. */
async function runWatched(args: string[], kill: KillPlan | null): Promise<WatchedRun> {
  const applying = applyProbe(sb.target);
  const child = spawnCli(args, { home: sb.home, detached: true });
  const started = performance.now();
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // it finished first
    }
  };
  let timer = kill?.after === 'spawn' ? setTimeout(killGroup, kill.delayMs) : undefined;
  let applyAt: number | null = null;
  const poll = setInterval(() => {
    if (applyAt !== null || !applying()) return;
    applyAt = performance.now() - started;
    if (kill?.after === 'applyStart') timer = setTimeout(killGroup, kill.delayMs);
  }, 1);
  const run = await waitForCli(child, args, 180_000);
  clearInterval(poll);
  clearTimeout(timer);
  return { run, applyAt, killed: run.signal === 'SIGKILL' && !run.timedOut };
}

async function syncFully(): Promise<{ run: CliRun; out: SyncJson }> {
  const run = await cli('sync', sb.source, sb.target, '--yes', '--json');
  expect(run.code, describeRun(run)).toBe(0);
  return { run, out: parseJsonOutput<SyncJson>(run) };
}

interface TrialOutcome {
  killed: boolean;
  /** killed after the apply phase was seen to start */
  killedInApply: boolean;
  /** how long the run took when it finished before the kill */
  finishedInMs: number | null;
}

/** One killed run of a mutation, its checks, recovery by `diff`, and the final sync. */
async function crashTrial(variant: Variant, label: string, kill: KillPlan): Promise<TrialOutcome> {
  const old = current;
  const next = mutate(variant);
  const { run, applyAt, killed } = await runWatched(['sync', sb.source, sb.target, '--yes'], kill);
  if (!killed) expect(run.code, `${label}: ${describeRun(run)}`).toBe(0);
  const when = `${Math.round(kill.delayMs)} ms after ${kill.after === 'spawn' ? 'the spawn' : 'apply began'}`;

  const afterKill = checkTarget(old, next, true);
  expect(afterKill.problems, `${label}: after the kill ${when}`).toEqual([]);

  const diff = await cli('diff', sb.source, sb.target);
  expect([0, 1], `${label}: diff after the kill: ${describeRun(diff)}`).toContain(diff.code);
  expect(diff.stderr, `${label}: a stack trace: ${describeRun(diff)}`).not.toMatch(/^\s+at /m);
  const recovered = checkTarget(old, next, false);
  expect(recovered.problems, `${label}: after recovery by diff (kill ${when})`).toEqual([]);

  const final = await cli('sync', sb.source, sb.target, '--yes');
  expect(final.code, `${label}: ${describeRun(final)}`).toBe(0);
  // by content hash here; byte for byte once per variant
  expect(
    stateDifferences(stateOf(sb.target), next.state),
    `${label}: after the final sync`,
  ).toEqual([]);
  current = next;
  const killedInApply = killed && applyAt !== null;
  report.push(
    `${label}: ${killed ? `killed ${when}${killedInApply ? ', during apply' : ''}` : `finished in ${Math.round(run.ms)} ms before the kill ${when}`}; ` +
      `${afterKill.atNew} entries already new, ${afterKill.torn} half-patched awaiting recovery, diff exit ${diff.code}` +
      (diff.stderr.trim()
        ? ` (${JSON.stringify(diff.stderr.trim().split('\n')[0]!.slice(0, 100))})`
        : ''),
  );
  return { killed, killedInApply, finishedInMs: killed ? null : run.ms };
}

/** Trials per variant: 8, 6 and 6 of 20; at least one each. */
const split = (() => {
  const patch = Math.max(1, Math.round(TRIALS * 0.4));
  const rewrite = Math.max(1, Math.round(TRIALS * 0.3));
  return { patch, rewrite, manyFiles: Math.max(1, TRIALS - patch - rewrite) } as Record<
    Variant,
    number
  >;
})();

describe(`tandem sync killed with SIGKILL (${TRIALS} trials, ${Math.round(SIZE / MiB)} MiB, seed ${SEED})`, () => {
  beforeAll(async () => {
    const missing = cliMissingReason();
    if (missing) throw new Error(`the CLI is not built (${missing})`);
    sb = makeSandbox('crash');
    rng = createRng(SEED);
    const big = seededBytes(`${SEED}/big`, SIZE);
    fs.writeFileSync(src(BIG), big);
    putFile(sb.source, 'readme.txt', 'a small file beside the big one');
    smallFiles = [];
    for (let i = 0; i < SMALL_FILES; i++) {
      const rel = `many/d${String(i % 40).padStart(2, '0')}/f${i}.bin`;
      putFile(sb.source, rel, rng.bytes(rng.int(16 * KiB)));
      smallFiles.push(rel);
    }
    const started = performance.now();
    await syncFully();
    report.push(
      `initial sync of ${Math.round(SIZE / MiB)} MiB and ${SMALL_FILES} small files: ${Math.round(performance.now() - started)} ms`,
    );
    expect(diffTrees(sb.source, sb.target)).toEqual([]);
    current = { state: stateOf(sb.source), big };
  }, 300_000);

  afterAll(() => {
    console.log(`crash trials (seed ${SEED}):\n  ${report.join('\n  ')}`);
    sb?.cleanup();
  });

  it.each(['patch', 'rewrite', 'manyFiles'] as const)(
    'leaves every file old or new after kills during the %s path, and recovers',
    async (variant) => {
      // Measure whole runs of this kind of change (the faster of two: the first may pay for the
      // previous step's writeback) and their apply phase; then kill half the runs spread across
      // the whole span and half spread across the apply phase.
      let span = Infinity;
      let applySpan = Infinity;
      for (let m = 0; m < 2; m++) {
        const measured = mutate(variant);
        const { run, applyAt } = await runWatched(
          ['sync', sb.source, sb.target, '--yes', '--json'],
          null,
        );
        expect(run.code, describeRun(run)).toBe(0);
        expect(stateDifferences(stateOf(sb.target), measured.state)).toEqual([]);
        current = measured;
        const r = parseJsonOutput<SyncJson>(run).result;
        if (variant === 'patch')
          expect(r?.patchedInPlace, `the patch path was not taken: ${describeRun(run)}`).toBe(1);
        if (variant === 'rewrite') {
          expect(r?.patchedInPlace, describeRun(run)).toBe(0);
          expect(r?.renamedIntoPlace, describeRun(run)).toBe(1);
        }
        if (variant === 'manyFiles')
          expect(r?.renamedIntoPlace, describeRun(run)).toBeGreaterThanOrEqual(300);
        report.push(
          `${variant}: a whole run took ${Math.round(run.ms)} ms, apply seen from ${applyAt === null ? '(never)' : `${Math.round(applyAt)} ms`}`,
        );
        span = Math.min(span, run.ms);
        if (applyAt !== null) applySpan = Math.min(applySpan, run.ms - applyAt);
      }
      expect(
        applySpan,
        'the apply phase never showed in .tandem (tmp, versions, journal)',
      ).toBeLessThan(Infinity);

      const n = split[variant];
      const uniform = Math.floor(n / 2); // the rest, at least one, aim at the apply phase
      let killed = 0;
      let killedInApply = 0;
      for (let i = 0; i < n; i++) {
        const k = i < uniform ? i : i - uniform;
        const of = i < uniform ? uniform : n - uniform;
        const kill: KillPlan =
          i < uniform
            ? { after: 'spawn', delayMs: (span * (k + rng.next())) / of }
            : { after: 'applyStart', delayMs: (applySpan * (k + rng.next())) / of };
        const outcome = await crashTrial(variant, `${variant} #${i + 1}`, kill);
        if (outcome.killed) killed++;
        if (outcome.killedInApply) killedInApply++;
        if (outcome.finishedInMs !== null && i < uniform)
          span = Math.min(span, outcome.finishedInMs);
      }
      expect(
        killed,
        `too few of the ${n} runs were killed before they finished`,
      ).toBeGreaterThanOrEqual(Math.ceil(n / 2));
      expect(killedInApply, 'no run was killed during its apply phase').toBeGreaterThanOrEqual(1);
      expect(stateDifferences(stateOf(sb.source), current.state), 'the source changed').toEqual([]);
      expect(diffTrees(sb.source, sb.target)).toEqual([]);
      const d = await cli('diff', sb.source, sb.target);
      expect(d.code, describeRun(d)).toBe(0);
    },
    400_000,
  );
});
