// The pair's own safety rules through the real `tandem` (DESIGN.md, "One writer per pair", "The
// target is the target", and the holds of safety invariant 4): a busy pair, a target that is not
// the folder last synced, and plans that delete too much. Real folders, real child processes.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { openSqlite } from '../engine/core/index/openSqlite.js';
import { resolvePair } from '../engine/pair/pair.js';
import { acquirePairLock } from '../engine/pair/pairLock.js';
import { NodeTargetFs } from '../engine/core/target/targetFs.js';
import {
  cliMissingReason,
  describeRun,
  oneLineErrorProblems,
  parseJsonOutput,
  runCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { file, makeSandbox, STATE_DIR, writeTree, type Sandbox } from '../testing/sandbox.js';
import { diffSnapshots, hashTree, type TreeSnapshot } from '../testing/treeSnapshot.js';

interface SyncOutput {
  plan: Plan;
  result: ApplyResult | null;
}

let sb: Sandbox;

beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('pair-safety');
});
afterEach(() => sb.cleanup());

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { home: sb.home, timeoutMs: 90_000, cwd: sb.base });
}

/** `tandem sync SOURCE TARGET --json …` (TARGET may be given another way), with its plan. */
async function sync(target: string, ...opts: string[]): Promise<{ run: CliRun; out: SyncOutput }> {
  const run = await cli('sync', sb.source, target, '--json', ...opts);
  expect(run.timedOut, describeRun(run)).toBe(false);
  return { run, out: parseJsonOutput<SyncOutput>(run) };
}

/** `sync --yes`, which must finish with exit 0 and no failed items. */
async function syncYes(target = sb.target, ...opts: string[]): Promise<SyncOutput> {
  const { run, out } = await sync(target, '--yes', ...opts);
  expect(run.code, describeRun(run)).toBe(0);
  expect(out.result?.failed ?? [], describeRun(run)).toEqual([]);
  return out;
}

/** A refused run: exit 2, one line on stderr matching `reason`, nothing on stdout. */
function expectRefused(run: CliRun, reason: RegExp): void {
  expect(run.code, describeRun(run)).toBe(2);
  expect(run.stderr, describeRun(run)).toMatch(reason);
  expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
}

/**
 * A folder as a snapshot, to show that a run wrote nothing there: with its `.tandem/` for runs
 * refused before they open the pair; without it for runs that open the pair and then apply nothing.
 */
function snapshot(root: string, withStateDir = true): TreeSnapshot {
  const snap = hashTree(root, { includeStateDir: withStateDir });
  if (!withStateDir) snap.delete(''); // the root's ctime changes with `.tandem/`
  return snap;
}

function expectUnchanged(
  root: string,
  before: TreeSnapshot,
  run: CliRun,
  withStateDir = true,
): void {
  expect(
    diffSnapshots(before, snapshot(root, withStateDir), { mode: true, mtime: true, inode: true }),
    describeRun(run),
  ).toEqual([]);
}

describe('one writer per pair (issue 9, hole 3)', () => {
  it('says "pair busy (pid N)" and exits 2 while another process holds the pair and writes its index, never advising to delete the index', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    await syncYes();
    fs.writeFileSync(path.join(sb.source, 'b.txt'), 'b');

    // As a running sync does: the pair's lock held, a write transaction open on its index.
    const release = acquirePairLock(new NodeTargetFs(sb.target));
    const db = openSqlite(
      path.join(sb.home, 'pairs', `${resolvePair(sb.source, sb.target).key}.sqlite`),
    );
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('held', '1')").run();
    try {
      for (const cmd of ['sync', 'diff']) {
        const run = await cli(cmd, sb.source, sb.target, ...(cmd === 'sync' ? ['--yes'] : []));
        expectRefused(run, new RegExp(`^tandem: pair busy \\(pid ${process.pid}\\)`));
        expect(run.stderr, describeRun(run)).not.toMatch(/delete/i);
      }
    } finally {
      db.exec('ROLLBACK');
      db.close();
      release();
    }
    expect(fs.existsSync(path.join(sb.target, 'b.txt'))).toBe(false);
    await syncYes();
    expect(fs.readFileSync(path.join(sb.target, 'b.txt'), 'utf8')).toBe('b');
  });
});

describe('the target is the target (issue 9, hole 4)', () => {
  it('refuses a target given through a link that now leads to another folder, naming both, until --confirm-target (not --force)', async () => {
    const diskA = path.join(sb.base, 'diskA');
    const diskB = path.join(sb.base, 'diskB');
    const backup = path.join(sb.base, 'backup');
    // b.txt is the same file on both (bytes and mtime): only a.txt differs on the other disk.
    const sameB = () => file('b', { mtime: new Date('2001-02-03T04:05:06.000Z') });
    writeTree(sb.source, { 'a.txt': 'a', 'b.txt': sameB() });
    writeTree(diskB, { 'a.txt': 'the other disk', 'b.txt': sameB() });
    fs.mkdirSync(diskA);
    fs.symlinkSync(diskA, backup);
    await syncYes(backup);
    fs.unlinkSync(backup);
    fs.symlinkSync(diskB, backup);

    const before = snapshot(diskB);
    const refusal = new RegExp(
      `^tandem: the target ${backup} now leads to ${diskB}, but this pair used it as ${diskA} before .*; if ${diskB} is the right folder, run again with --confirm-target\\n$`,
    );
    for (const args of [['sync', '--yes'], ['sync', '--yes', '--force'], ['diff']]) {
      const run = await cli(args[0]!, sb.source, backup, ...args.slice(1));
      expectRefused(run, refusal);
      expectUnchanged(diskB, before, run);
    }
    // diff --confirm-target shows what a confirmed sync would do, and confirms nothing.
    const preview = await cli('diff', sb.source, backup, '--confirm-target', '--json');
    expect(preview.code, describeRun(preview)).toBe(1);
    expect(parseJsonOutput<Plan>(preview).items.map((i) => `${i.path} ${i.kind}`)).toEqual([
      'a.txt update',
    ]);
    expectUnchanged(diskB, before, preview);
    expectRefused(await cli('sync', sb.source, backup, '--yes'), refusal);

    await syncYes(backup, '--confirm-target');
    expect(fs.readFileSync(path.join(diskB, 'a.txt'), 'utf8')).toBe('a');
    const again = await sync(backup, '--yes');
    expect(again.run.code, describeRun(again.run)).toBe(0);
    expect(again.out.plan.items).toEqual([]);
  });

  it('refuses a missing target of a pair that has synced before, by sync and by diff, creating nothing; a new pair still gets its target made', async () => {
    const disk = path.join(sb.base, 'disk'); // a mount point that goes away with its disk
    writeTree(sb.source, { 'a.txt': 'a' });
    await syncYes(disk);
    expect(fs.readFileSync(path.join(disk, 'a.txt'), 'utf8')).toBe('a');
    fs.rmSync(disk, { recursive: true });

    for (const args of [['sync', '--yes'], ['diff']]) {
      const run = await cli(args[0]!, sb.source, disk, ...args.slice(1));
      expectRefused(
        run,
        new RegExp(
          `^tandem: the target ${disk} is missing, but this pair has synced it before .*--confirm-target\\n$`,
        ),
      );
      expect(fs.existsSync(disk), describeRun(run)).toBe(false);
    }
    // Through a link whose folder is gone, nothing is made either, pair or no pair.
    const link = path.join(sb.base, 'link');
    fs.symlinkSync(path.join(sb.base, 'gone'), link);
    expectRefused(
      await cli('sync', sb.source, link, '--yes'),
      /is a link to .*gone, which does not exist/,
    );
    expect(fs.existsSync(path.join(sb.base, 'gone'))).toBe(false);

    await syncYes(disk, '--confirm-target');
    expect(fs.readFileSync(path.join(disk, 'a.txt'), 'utf8')).toBe('a');
  });

  it('refuses a target whose marker is gone (another folder at the same path) until --confirm-target, and --force does not confirm it', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    await syncYes();
    fs.rmSync(path.join(sb.target, STATE_DIR), { recursive: true });
    const before = snapshot(sb.target);
    for (const extra of [[], ['--force']]) {
      const run = await cli('sync', sb.source, sb.target, '--yes', ...extra);
      expectRefused(
        run,
        /has no \.tandem marker, yet this pair synced it before .*; if it is the right folder, run again with --confirm-target/,
      );
      expectUnchanged(sb.target, before, run);
    }
    await syncYes(sb.target, '--confirm-target');
    expect((await sync(sb.target, '--yes')).run.code).toBe(0);
  });

  it('keeps the first pair working after a second source syncs into the same target: the marker names both', async () => {
    const source2 = path.join(sb.base, 'source2');
    writeTree(sb.source, { 'a.txt': 'a' });
    writeTree(source2, { 'a.txt': 'a', 'b.txt': 'b' });
    await syncYes();
    const second = await cli('sync', source2, sb.target, '--yes');
    expect(second.code, describeRun(second)).toBe(0);

    const first = await sync(sb.target, '--yes'); // deletes b.txt again, with --yes's approval
    expect(first.run.code, describeRun(first.run)).toBe(0);
    expect(fs.existsSync(path.join(sb.target, 'b.txt'))).toBe(false);
    const marker = JSON.parse(
      fs.readFileSync(path.join(sb.target, STATE_DIR, 'pair.json'), 'utf8'),
    ) as { pairs: Record<string, { source: string }> };
    expect(
      Object.values(marker.pairs)
        .map((p) => p.source)
        .sort(),
    ).toEqual([sb.source, source2].map((p) => fs.realpathSync(p)).sort());
    expect(Object.keys(marker.pairs)).toContain(resolvePair(sb.source, sb.target).key);
    expect(Object.keys(marker.pairs)).toContain(resolvePair(source2, sb.target).key);
  });
});

describe('holds on deletions (issue 9, hole 9)', () => {
  it('applies a plan that deletes 1 of 1 entries of a tiny target with --yes alone', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    await syncYes();
    fs.rmSync(path.join(sb.source, 'a.txt'));
    fs.writeFileSync(path.join(sb.source, 'b.txt'), 'something else');
    const out = await syncYes();
    expect(out.plan.holds).toEqual([]);
    expect(out.plan.summary.delete).toBe(1);
    expect(fs.readdirSync(sb.target).sort()).toEqual([STATE_DIR, 'b.txt']);
  });

  it('holds a plan that deletes more than --max-delete N entries (exit 1, nothing applied) until --force', async () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 6; i++) spec[`f${i}.txt`] = `file ${i}`;
    writeTree(sb.source, spec);
    await syncYes();
    for (let i = 0; i < 3; i++) fs.rmSync(path.join(sb.source, `f${i}.txt`));

    const before = snapshot(sb.target, false);
    const held = await sync(sb.target, '--yes', '--max-delete', '2');
    expect(held.run.code, describeRun(held.run)).toBe(1);
    expect(held.out.plan.holds.map((h) => h.reason)).toEqual(['maxDelete']);
    expect(held.out.result).toBeNull();
    expect(held.run.stderr).toMatch(
      /^tandem: held, nothing applied: .*more than --max-delete 2; .*--force to allow it\n$/,
    );
    expectUnchanged(sb.target, before, held.run, false);

    expect((await syncYes(sb.target, '--max-delete', '3')).plan.summary.delete).toBe(3);
    for (let i = 3; i < 5; i++) fs.rmSync(path.join(sb.source, `f${i}.txt`));
    const forced = await syncYes(sb.target, '--max-delete=0', '--force');
    expect(forced.plan.holds.map((h) => h.reason)).toEqual(['maxDelete']);
    expect(fs.readdirSync(sb.target).sort()).toEqual([STATE_DIR, 'f5.txt']);
  });

  it('refuses a --max-delete that is not a whole number of entries, in one line, exit 2', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    for (const bad of [
      '--max-delete=abc',
      '--max-delete=-1',
      '--max-delete=1.5',
      '--max-delete=',
    ]) {
      const run = await cli('sync', sb.source, sb.target, '--yes', bad);
      expectRefused(run, /^tandem: --max-delete needs a whole number of entries, 0 or more/);
      expect(fs.readdirSync(sb.target), describeRun(run)).toEqual([]);
    }
    expectRefused(
      await cli('diff', sb.source, sb.target, '--max-delete', '3'),
      /--max-delete belongs to sync, not to diff/,
    );
  });
});
