// Crash safety of the live service (DESIGN.md invariants 2 and 3): a real `tandem serve`, driven
// through the SyncApi over its WebSocket as the UI drives it, killed with SIGKILL at seeded moments
// of an apply that a person's approval started. Each trial edits the target (conflicts that wait
// for a person), scans, changes the source (changes the policy applies by itself), approves the
// conflicts and kills the daemon during the cycle that follows. Then:
//   - every target entry holds its old or its new content, never a mix;
//   - the pair's index and its pending/history store pass SQLite's integrity check;
//   - the restarted daemon settles by itself with every change the policy may apply applied;
//   - it does not ask again: what was applied before the kill is not pending, and an approved
//     change that was not applied yet is still pending *approved*; Sync now applies it, with
//     no second approval, and the pair is then identical (bytes, modes, mtimes) and in sync;
//   - what the conflicts replaced or deleted is in the version store.
// The pair's schedule is manual: a watcher would start cycles at moments the test does not
// choose, while the apply under test is the same code whatever triggers it (here: Approve, the
// UI's button, which scans afresh and applies the approved and auto-approved changes at once).
// SERVICE_CRASH_TRIALS (default 20) and SERVICE_CRASH_SEED tune it.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PairStatus, PendingChange, Result, SyncEvent } from '../shared/syncApi.js';
import { cliMissingReason } from '../testing/cliRunner.js';
import { createRng, type Rng } from '../testing/rng.js';
import { makeSandbox, putFile, type Sandbox } from '../testing/sandbox.js';
import {
  connectApi,
  killGroup,
  startServe,
  stopServe,
  type ApiConnection,
  type ServeRun,
} from '../testing/serveRunner.js';
import {
  contentHashesUnder,
  diffSnapshots,
  diffTrees,
  hashTree,
  sha256,
  stateOf,
  type TreeState,
} from '../testing/treeSnapshot.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const TRIALS = Math.max(2, Math.floor(Number(process.env.SERVICE_CRASH_TRIALS ?? 20)));
const SEED = process.env.SERVICE_CRASH_SEED ?? 'tandem-service-crash-1';
/** More than one apply batch (256 files) changes per trial, so a kill can fall between batches. */
const SMALL_FILES = 900;
const REWRITES = 320;
const MEDIA = ['media/m0.bin', 'media/m1.bin'];
const MEDIA_SIZE = 3 * MiB;
/** An mtime well outside the 1 s a live pair waits for a file to be quiet. */
const OLD = Date.UTC(2020, 0, 1);

let sb: Sandbox;
let rng: Rng;
let daemon: ServeRun | null = null;
let api: ApiConnection | null = null;
let pairId = '';
let smallFiles: string[] = [];
let trialNo = 0;
const report: string[] = [];

async function startDaemon(): Promise<void> {
  daemon = await startServe(sb.home);
  api = await connectApi(daemon);
}

async function killDaemon(): Promise<void> {
  if (!daemon) return;
  killGroup(daemon.child);
  await daemon.exited;
  api?.close();
  daemon = null;
  api = null;
}

/** A call's value, or a failure that carries the daemon's stderr. */
async function ok<T>(r: Promise<Result<T>>, what: string): Promise<T> {
  const res = await r;
  if (!res.ok)
    throw new Error(
      `${what}: ${res.error.code}: ${res.error.message}\n--- daemon stderr:\n${daemon?.stderr() ?? ''}`,
    );
  return res.value;
}

/**
 * Resolves once the pair has finished a cycle and is idle: 'inSync' or 'pending' is only reported
 * when a cycle ends without another one queued. Waits on pairStatus events (status() covers one
 * that came before the listener).
 */
function idle(): Promise<PairStatus> {
  const client = api!.client;
  return new Promise((resolve, reject) => {
    let done = false;
    const check = (s: PairStatus | undefined): void => {
      if (done || !s || s.pairId !== pairId) return;
      if (s.state === 'error') {
        done = true;
        off();
        reject(new Error(`the pair reports an error: ${s.lastError}\n${daemon?.stderr() ?? ''}`));
      } else if ((s.state === 'inSync' || s.state === 'pending') && s.lastScanAt !== undefined) {
        done = true;
        off();
        resolve(s);
      }
    };
    const off = client.onEvent((e: SyncEvent) => {
      if (e.type === 'pairStatus') check(e.status);
    });
    void client.status().then((r) => {
      if (r.ok) check(r.value.find((s) => s.pairId === pairId));
    });
    // A daemon that dies meanwhile would leave this waiting for ever: fail with what it said.
    const run = daemon!;
    void run.exited.then(({ code, signal }) => {
      if (done) return;
      done = true;
      off();
      reject(
        new Error(
          `the daemon exited (${signal ?? code}) while the pair was busy:\n${run.stderr()}`,
        ),
      );
    });
  });
}

async function pendingNow(): Promise<PendingChange[]> {
  return (await ok(api!.client.listPending({ pairId, limit: 10_000 }), 'listPending')).items;
}

/** Both SQLite files of the pair open and pass integrity_check (run while the daemon is down). */
function integrityProblems(): string[] {
  const dir = path.join(sb.home, 'pairs');
  const problems: string[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.sqlite'))) {
    try {
      const db = new Database(path.join(dir, f));
      try {
        const r = db.pragma('integrity_check', { simple: true });
        if (r !== 'ok') problems.push(`${f}: integrity_check says ${String(r)}`);
      } finally {
        db.close();
      }
    } catch (e) {
      problems.push(`${f}: cannot open: ${(e as Error).message}`);
    }
  }
  return problems;
}

function src(rel: string): string {
  return path.join(sb.source, rel);
}

/** Writes a source file with an old mtime (so the live pair need not wait for it to be quiet). */
function putSource(rel: string, data: Buffer, k: number): void {
  putFile(sb.source, rel, data);
  const t = (OLD + trialNo * 60_000 + k) / 1000;
  fs.utimesSync(src(rel), t, t);
}

interface Trial {
  /** paths the target edited (or holds alone): each waits for a person */
  conflicts: string[];
  /** what the target held for each path before the approval */
  old: TreeState;
  /** what it should hold once everything is applied */
  next: TreeState;
  /** sha256 of what the conflicts will replace or delete (the version store must keep it) */
  replaced: string[];
}

/** Target edits that need a person, then a scan that shows them; then the source changes. */
async function prepareTrial(): Promise<Trial> {
  trialNo++;
  const picks = rng.sample(smallFiles.length, 4 + REWRITES + 8 + 2);
  const conflictFiles = picks.slice(0, 4).map((i) => smallFiles[i]!);
  const replaced: string[] = [];
  for (const rel of conflictFiles) {
    const data = rng.bytes(1 + rng.int(4 * KiB));
    fs.writeFileSync(path.join(sb.target, rel), data);
    replaced.push(sha256(data));
  }
  const strays = [0, 1].map(
    (k) => `many/d${String(rng.int(40)).padStart(2, '0')}/stray-${trialNo}-${k}.txt`,
  );
  for (const rel of strays) {
    const data = Buffer.from(`only on the target: ${rel}`);
    putFile(sb.target, rel, data);
    replaced.push(sha256(data));
  }
  const conflicts = [...conflictFiles, ...strays].sort();
  await ok(api!.client.scanNow(pairId), 'scanNow');
  const asked = await pendingNow();
  expect(
    asked.map((p) => [p.path, p.approved, p.conflict !== undefined]),
    'after the scan, exactly the target edits wait, unapproved',
  ).toEqual(conflicts.map((p) => [p, false, true]));

  // Source changes the policy applies by itself: rewrites, emptied files, deletions, new
  // files in new folders, two moves (renames on the target) and one 3 MiB rewrite.
  const rewrite = picks.slice(4, 4 + REWRITES).map((i) => smallFiles[i]!);
  rewrite.forEach((rel, k) =>
    putSource(rel, k % 12 === 0 ? Buffer.alloc(0) : rng.bytes(1 + rng.int(16 * KiB)), k),
  );
  const gone = new Set(picks.slice(4 + REWRITES, 12 + REWRITES));
  for (const i of gone) fs.rmSync(src(smallFiles[i]!));
  const moved = picks.slice(12 + REWRITES).map((i) => smallFiles[i]!);
  const movedTo = moved.map((_, k) => `moved/t${trialNo}-${k}.bin`);
  moved.forEach((rel, k) => {
    fs.mkdirSync(path.dirname(src(movedTo[k]!)), { recursive: true });
    fs.renameSync(src(rel), src(movedTo[k]!));
  });
  const created = Array.from({ length: 20 }, (_, k) => `new/t${trialNo}/n${k}.bin`);
  created.forEach((rel, k) => putSource(rel, rng.bytes(rng.int(8 * KiB)), 200 + k));
  putSource(MEDIA[trialNo % 2]!, rng.bytes(MEDIA_SIZE), 300);
  const movedSet = new Set(moved);
  smallFiles = [
    ...smallFiles.filter((rel, i) => !gone.has(i) && !movedSet.has(rel)),
    ...movedTo,
    ...created,
  ];
  return { conflicts, old: stateOf(sb.target), next: stateOf(sb.source), replaced };
}

/** Paths whose content is neither old nor new; [] when every entry is one or the other. */
function tornEntries(t: Trial): { problems: string[]; atNew: number } {
  const now = stateOf(sb.target);
  const problems: string[] = [];
  let atNew = 0;
  for (const p of new Set([...t.old.keys(), ...t.next.keys(), ...now.keys()])) {
    const has = now.get(p) ?? 'absent';
    const was = t.old.get(p) ?? 'absent';
    const will = t.next.get(p) ?? 'absent';
    if (has === will && was !== will) atNew++;
    if (has !== was && has !== will)
      problems.push(`${JSON.stringify(p)}: holds ${has}, neither old ${was} nor new ${will}`);
  }
  return { problems, atNew };
}

interface Kill {
  after: 'approve' | 'applyStart';
  delayMs: number;
}

interface Approved {
  /** ms from the approve call to the apply's first progress event, and to its 'applied' event */
  applyAt: number | null;
  appliedAt: number | null;
  killed: boolean;
}

/** Approves the conflicts and, with `kill`, kills the daemon at that moment of the cycle. */
async function approveAndMaybeKill(t: Trial, kill: Kill | null): Promise<Approved> {
  const client = api!.client;
  const started = performance.now();
  const out: Approved = { applyAt: null, appliedAt: null, killed: false };
  let timer: NodeJS.Timeout | undefined;
  let doKill: () => void = () => undefined;
  const killed = new Promise<void>((resolve) => (doKill = resolve));
  const applied = new Promise<void>((resolve) => {
    const off = client.onEvent((e) => {
      if (e.type === 'progress' && e.pairId === pairId && e.progress.phase === 'apply') {
        if (out.applyAt === null) {
          out.applyAt = performance.now() - started;
          if (kill?.after === 'applyStart') timer = setTimeout(doKill, kill.delayMs);
        }
      } else if (e.type === 'applied' && e.pairId === pairId && out.appliedAt === null) {
        out.appliedAt = performance.now() - started;
        off();
        resolve();
      }
    });
  });
  // Approvals name what was shown: each conflict with the rev it is listed with.
  const shown = await pendingNow();
  const changes = t.conflicts.map((p) => ({ path: p, rev: shown.find((c) => c.path === p)!.rev }));
  const n = await ok(client.approve({ pairId, changes }), 'approve');
  expect(n.done).toBe(t.conflicts.length);
  // From the reply on, the approval was given: a kill must not lose it.
  if (kill?.after === 'approve') timer = setTimeout(doKill, kill.delayMs);
  if (!kill) {
    await applied;
    await idle();
    return out;
  }
  // Whichever comes first: the kill, or an apply that finished before its moment came.
  await Promise.race([killed, applied.then(() => idle())]);
  clearTimeout(timer);
  // The daemon dies here in either case: a finished run is killed too (the restart is tested).
  out.killed = out.appliedAt === null;
  await killDaemon();
  return out;
}

/** One trial: prepare, approve, kill, check, restart, settle, check, Sync now, check. */
async function crashTrial(kill: Kill): Promise<Approved> {
  const label = `trial ${trialNo + 1}`;
  const t = await prepareTrial();
  const sourceBefore = hashTree(sb.source);
  const a = await approveAndMaybeKill(t, kill);
  const when = `${Math.round(kill.delayMs)} ms after ${kill.after === 'approve' ? 'the approval' : 'the apply began'}`;

  const afterKill = tornEntries(t);
  expect(afterKill.problems, `${label}: right after the kill ${when}`).toEqual([]);
  expect(integrityProblems(), `${label}: the pair's SQLite files after the kill`).toEqual([]);

  await startDaemon();
  const settled = await idle();
  const recovered = tornEntries(t);
  expect(recovered.problems, `${label}: after the restart`).toEqual([]);
  // Everything the policy may apply by itself is applied; only the conflicts may still differ.
  const now = stateOf(sb.target);
  const conflictSet = new Set(t.conflicts);
  const behind = [...new Set([...t.next.keys(), ...now.keys()])].filter(
    (p) => !conflictSet.has(p) && now.get(p) !== t.next.get(p),
  );
  expect(behind, `${label}: not applied by the restarted service on its own`).toEqual([]);
  const appliedBefore = t.conflicts.filter((p) => now.get(p) === t.next.get(p));
  const waiting = await pendingNow();
  expect(
    waiting.map((p) => [p.path, p.approved]),
    `${label}: after the restart exactly the approved conflicts not yet applied wait, still approved`,
  ).toEqual(t.conflicts.filter((p) => !appliedBefore.includes(p)).map((p) => [p, true]));
  expect(settled.state).toBe(waiting.length ? 'pending' : 'inSync');
  await ok(api!.client.listHistory(pairId, 0, 10_000), 'listHistory');

  // Sync now: applies the approved changes with no second approval.
  const result = await ok(api!.client.syncNow(pairId), 'syncNow');
  expect(result.failed, `${label}: syncNow`).toEqual([]);
  const final = await idle();
  expect([final.state, final.pending, await pendingNow()]).toEqual(['inSync', 0, []]);
  expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true }), `${label}: final`).toEqual(
    [],
  );
  const kept = contentHashesUnder(path.join(sb.target, '.tandem', 'versions'));
  expect(
    t.replaced.filter((h) => !kept.has(h)),
    `${label}: what the conflicts replaced is in the version store`,
  ).toEqual([]);
  expect(
    diffSnapshots(sourceBefore, hashTree(sb.source), { mode: true, mtime: true, inode: true }),
    `${label}: the source was written`,
  ).toEqual([]);

  report.push(
    `${label}: ${a.killed ? `killed ${when}${a.applyAt !== null ? ', during the apply' : ', before the apply'}` : `the apply finished before the kill ${when}`}; ` +
      `${afterKill.atNew} entries already new, ${appliedBefore.length} of ${t.conflicts.length} approved conflicts applied before the kill`,
  );
  return a;
}

describe(`tandem serve killed with SIGKILL during an apply (${TRIALS} trials, seed ${SEED})`, () => {
  beforeAll(async () => {
    const missing = cliMissingReason();
    if (missing) throw new Error(`the CLI is not built (${missing})`);
    sb = makeSandbox('service-crash');
    rng = createRng(SEED);
    for (let i = 0; i < SMALL_FILES; i++) {
      const rel = `many/d${String(i % 40).padStart(2, '0')}/f${i}.bin`;
      putSource(rel, rng.bytes(rng.int(16 * KiB)), i);
      smallFiles.push(rel);
    }
    for (const m of MEDIA) putSource(m, rng.bytes(MEDIA_SIZE), 0);
    await startDaemon();
    const pair = await ok(
      api!.client.addPair({
        source: sb.source,
        target: sb.target,
        schedule: { kind: 'manual' },
        policy: { autoApprove: true, autoApproveDeletes: true, maxAutoDeletes: 1000 },
      }),
      'addPair',
    );
    pairId = pair.id;
    await ok(api!.client.scanNow(pairId), 'scanNow');
    const s = await idle();
    expect(s.state).toBe('inSync');
    expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);
  }, 120_000);

  afterAll(async () => {
    console.log(`service crash trials (seed ${SEED}):\n  ${report.join('\n  ')}`);
    if (daemon) await stopServe(daemon);
    api?.close();
    sb?.cleanup();
  });

  it('leaves every file old or new, reopens cleanly, converges, and does not ask again', async () => {
    // Measure approved cycles (the faster of two: the first pays for a cold start); then kill
    // half the runs spread over the whole cycle after the approval and half spread over its
    // apply phase. A run that finishes before its moment narrows the span for the next ones.
    let cycleSpan = Infinity;
    let applySpan = Infinity;
    for (let w = 0; w < 2; w++) {
      const m = await approveAndMaybeKill(await prepareTrial(), null);
      expect(m.applyAt, 'no apply progress was reported').not.toBeNull();
      report.push(
        `measured: an approved cycle took ${Math.round(m.appliedAt!)} ms, its apply ${Math.round(m.appliedAt! - m.applyAt!)} ms`,
      );
      cycleSpan = Math.min(cycleSpan, m.appliedAt!);
      applySpan = Math.min(applySpan, m.appliedAt! - m.applyAt!);
      expect(await pendingNow()).toEqual([]);
    }

    const half = Math.floor(TRIALS / 2);
    let killed = 0;
    let killedInApply = 0;
    for (let i = 0; i < TRIALS; i++) {
      const k = i < half ? i : i - half;
      const of = i < half ? half : TRIALS - half;
      const kill: Kill =
        i < half
          ? { after: 'approve', delayMs: (cycleSpan * (k + rng.next())) / of }
          : { after: 'applyStart', delayMs: (applySpan * (k + rng.next())) / of };
      const a = await crashTrial(kill);
      if (a.killed) killed++;
      if (a.killed && a.applyAt !== null) killedInApply++;
      if (!a.killed && a.appliedAt !== null) {
        if (i < half) cycleSpan = Math.min(cycleSpan, a.appliedAt);
        else if (a.applyAt !== null) applySpan = Math.min(applySpan, a.appliedAt - a.applyAt);
      }
    }
    expect(
      killed,
      `too few of the ${TRIALS} cycles were killed before they finished`,
    ).toBeGreaterThanOrEqual(Math.ceil(TRIALS / 2));
    expect(killedInApply, 'too few cycles were killed during their apply').toBeGreaterThanOrEqual(
      Math.ceil(TRIALS / 4),
    );
  }, 600_000);
});
