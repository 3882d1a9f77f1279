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
import {
  cliMissingReason,
  describeRun,
  oneLineErrorProblems,
  parseJsonOutput,
  runCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { makeSandbox, STATE_DIR, writeTree, type Sandbox } from '../testing/sandbox.js';

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

describe('one writer per pair (issue 9, hole 3)', () => {
  it('says "pair busy (pid N)" and exits 2 while another process holds the pair and writes its index, never advising to delete the index', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    await syncYes();
    fs.writeFileSync(path.join(sb.source, 'b.txt'), 'b');

    // As a running sync does: the pair's lock held, a write transaction open on its index.
    const release = acquirePairLock(path.join(sb.target, STATE_DIR));
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
