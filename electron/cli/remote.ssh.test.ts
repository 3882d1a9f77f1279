// `tandem sync` and `tandem diff` to a folder on another machine, end to end: the built CLI as a
// child process, the user's own OpenSSH client, a real sshd on 127.0.0.1 (testing/sshd.ts), and
// this checkout's bin/tandem.js as the far side's `tandem server` (--remote-tandem). The far
// target is a folder of this machine addressed as tandem-test:/abs/path, so a test can look at
// it directly. Every sync checks that the source was not touched (content, mode, mtime, inode
// and ctime). Nothing here waits a fixed time for an event: conditions are polled with a deadline.
// REMOTE_KILL_SEED picks the kill trials' moments and victims.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import {
  CLI_PATH,
  writeOlderTandem,
  cliMissingReason,
  describeRun,
  oneLineErrorProblems,
  parseJsonOutput,
  runCli,
  spawnCli,
  waitForCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { createRng, patchFile, seededBytes, writeSeededFile, type Rng } from '../testing/rng.js';
import {
  file,
  link,
  makeSandbox,
  putFile,
  setMtime,
  STATE_DIR,
  writeTree,
  type Sandbox,
} from '../testing/sandbox.js';
import { applyProbe } from '../testing/applyProbe.js';
import { readXattrs, userXattrsSupported, writeXattr } from '../testing/xattrs.js';
import { isPageMix } from '../testing/pageMix.js';
import { sshdSkipReason, startSshd, type SshdHandle } from '../testing/sshd.js';
import { RemoteConnection } from '../engine/remote/connection.js';
import { IdentifierIndex } from '../engine/core/index/identifierIndex.js';
import { indexFileOf, pairKey } from '../engine/pair/pair.js';
import { EXACT_NAMES } from '../engine/core/scan/walk.js';
import { appVersion } from '../engine/core/runtime/appVersion.js';
import {
  contentHashesUnder,
  diffSnapshots,
  diffTrees,
  hashTree,
  sha256,
  stateDirPaths,
  stateOf,
  type TreeSnapshot,
  type TreeState,
} from '../testing/treeSnapshot.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** An mtime far from "now", so that modes and mtimes are compared on something that was set. */
const OLD = new Date('2003-04-05T06:07:08.000Z');
const KILL_TRIALS_SEED = process.env.REMOTE_KILL_SEED ?? 'tandem-remote-kill-1';
const PULL_KILL_SEED = process.env.REMOTE_PULL_KILL_SEED ?? 'tandem-remote-pull-kill-1';
/** Pulls kill the same victims; REMOTE_PULL_KILL_TRIALS sets how many trials. */
const PULL_KILL_TRIALS = Number(process.env.REMOTE_PULL_KILL_TRIALS ?? 10);
/** Issue 12 asks for 20 in CI; REMOTE_KILL_TRIALS sets another number. */
const KILL_TRIALS = Number(process.env.REMOTE_KILL_TRIALS ?? 20);
/** A run may end before its kill (the random moment fell after its end): tried again sooner. */
const KILL_ATTEMPTS = 6;

interface Wire {
  out: number;
  in: number;
}

interface SyncJson {
  plan: Plan;
  result: ApplyResult | null;
  wire?: Wire;
}

const skip = sshdSkipReason();

let sshd: SshdHandle;
let sb: Sandbox;

/** The far target as the CLI is given it. */
function far(target = sb.target): string {
  return `${sshd.host}:${target}`;
}

/** The source addressed on the far side, for a pull (`tandem sync host:SOURCE TARGET`). */
function farSource(source = sb.source): string {
  return `${sshd.host}:${source}`;
}

/** How the local CLI reaches the far side: this harness's ssh config and this checkout's CLI. */
function remoteArgs(remoteTandem = CLI_PATH, rsh = `ssh -F ${sshd.configFile}`): string[] {
  return ['-e', rsh, '--remote-tandem', remoteTandem];
}

function cli(args: string[]): Promise<CliRun> {
  return runCli(args, { home: sb.home, cwd: sb.base, timeoutMs: 110_000 });
}

/** A far `tandem` that speaks protocols 1–2 only (a release before content-defined deltas). */
const protocol2Tandem = (): string => writeOlderTandem(sb.base, 2);

/** A source snapshot that shows any write, chmod or utimes. */
function sourceNow(): TreeSnapshot {
  return hashTree(sb.source);
}

function expectSourceUntouched(before: TreeSnapshot, run: CliRun): void {
  const changed = diffSnapshots(before, sourceNow(), { mode: true, mtime: true, inode: true });
  expect(changed, `the source was modified by ${describeRun(run)}`).toEqual([]);
}

/** `tandem sync SOURCE host:TARGET [opts]` with the remote options; checks the source after. */
async function syncRun(opts: string[], target = sb.target): Promise<CliRun> {
  const before = sourceNow();
  const run = await cli(['sync', sb.source, far(target), ...opts, ...remoteArgs()]);
  expect(run.timedOut, describeRun(run)).toBe(false);
  expectSourceUntouched(before, run);
  return run;
}

async function syncJson(
  opts: string[],
  target = sb.target,
): Promise<{ run: CliRun; out: SyncJson }> {
  const run = await syncRun(['--json', ...opts], target);
  return { run, out: parseJsonOutput<SyncJson>(run) };
}

/** sync --yes --json, which must finish with exit 0 and no failed item. */
async function syncYes(target = sb.target): Promise<{ run: CliRun; out: SyncJson }> {
  const r = await syncJson(['--yes'], target);
  expect(r.run.code, describeRun(r.run)).toBe(0);
  expect(r.out.result?.failed ?? [], describeRun(r.run)).toEqual([]);
  return r;
}

async function diffJson(target = sb.target): Promise<{ run: CliRun; plan: Plan }> {
  const before = sourceNow();
  const run = await cli(['diff', sb.source, far(target), '--json', ...remoteArgs()]);
  expect(run.timedOut, describeRun(run)).toBe(false);
  expectSourceUntouched(before, run);
  return { run, plan: parseJsonOutput<Plan>(run) };
}

/** Items as `path kind[ conflict]` lines, sorted. */
function itemLines(plan: Plan): string[] {
  return plan.items
    .map(
      (i) =>
        `${i.path} ${i.kind}${i.from ? ` from ${i.from}` : ''}${i.conflict ? ` ${i.conflict}` : ''}`,
    )
    .sort();
}

/** Folders' modes and mtimes too (diffTrees compares those of files and links' text). */
function folderDifferences(a: string, b: string): string[] {
  const sa = hashTree(a, { hashContent: false });
  const sbn = hashTree(b, { hashContent: false });
  const out: string[] = [];
  for (const [p, x] of sa) {
    const y = sbn.get(p);
    if (p === '' || x.kind !== 'dir' || y?.kind !== 'dir') continue;
    if (x.mode !== y.mode)
      out.push(`${JSON.stringify(p)}/: mode ${x.mode.toString(8)} vs ${y.mode.toString(8)}`);
    if (Math.abs(x.mtimeMs - y.mtimeMs) >= 1)
      out.push(
        `${JSON.stringify(p)}/: mtime ${new Date(x.mtimeMs).toISOString()} vs ${new Date(y.mtimeMs).toISOString()}`,
      );
  }
  return out;
}

/** Target identical to the source: bytes, links, names, files' and folders' modes and mtimes. */
function expectIdentical(target = sb.target): void {
  expect(diffTrees(sb.source, target, { mode: true, mtime: true }), 'target ≠ source').toEqual([]);
  expect(folderDifferences(sb.source, target), 'folders differ').toEqual([]);
}

/** The far target without `.tandem/` and without its root entry (whose ctime `.tandem/` moves). */
function targetNow(target = sb.target): TreeSnapshot {
  const snap = hashTree(target);
  snap.delete('');
  return snap;
}

function incomingDir(target = sb.target): string {
  return path.join(target, STATE_DIR, 'incoming');
}

/**
 * What `.tandem/incoming` holds: its pack files (stagedChunks.ts: records of id, length and a
 * chunk's bytes, appended as chunks arrive) and their bytes.
 */
function incomingChunks(target = sb.target): { count: number; bytes: number } {
  let names: string[];
  try {
    names = fs.readdirSync(incomingDir(target));
  } catch {
    return { count: 0, bytes: 0 };
  }
  let bytes = 0;
  let count = 0;
  for (const n of names) {
    if (!n.startsWith('pack-')) continue;
    try {
      bytes += fs.statSync(path.join(incomingDir(target), n)).size;
      count++;
    } catch {
      // applied and removed meanwhile
    }
  }
  return { count, bytes };
}

/** Polls `probe` until it gives a value (not null/undefined/false), or fails after `timeoutMs`. */
async function until<T>(
  what: string,
  probe: () => T | null | undefined | false,
  timeoutMs = 60_000,
  everyMs = 2,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** The far side's `tandem server` processes started as `remoteTandem` (a path of this test's). */
function farServers(remoteTandem: string): number[] {
  const pattern = `node ${remoteTandem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} server`;
  const r = spawnSync('pgrep', ['-f', '-x', pattern], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** The ssh client a CLI process started (its connection to the far side). */
function sshOf(cliPid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(cliPid), '-x', 'ssh'], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

/** A far-side command of this test's own: a link to this checkout's bin/tandem.js, so pgrep finds it. */
function farTandemLink(): string {
  const p = path.join(sb.base, 'far-bin', 'tandem.js');
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.symlinkSync(CLI_PATH, p);
  return p;
}

/**
 * An rsh for the resume test: runs the real ssh, passes the first TANDEM_TEST_GATE_BYTES of what
 * the CLI sends, drops the rest, and writes TANDEM_TEST_GATE_MARKER once the gate has closed; it
 * ends ssh's input when the CLI's ends. So the far side receives a known part of the transfer
 * and nothing more, however fast or loaded the machine is.
 */
function writeGate(): string {
  const p = path.join(sb.base, 'gate.mjs');
  fs.writeFileSync(
    p,
    `import { spawn } from 'node:child_process';
import fs from 'node:fs';
const limit = Number(process.env.TANDEM_TEST_GATE_BYTES);
const marker = process.env.TANDEM_TEST_GATE_MARKER;
const ssh = spawn('ssh', process.argv.slice(2), { stdio: ['pipe', 'inherit', 'inherit'] });
ssh.stdin.on('error', () => {});
let passed = 0;
process.stdin.on('data', (b) => {
  if (passed >= limit) return;
  const part = b.subarray(0, limit - passed);
  passed += part.length;
  ssh.stdin.write(part);
  if (passed >= limit) fs.writeFileSync(marker, String(passed));
});
process.stdin.on('end', () => ssh.stdin.end());
ssh.on('exit', (code) => process.exit(code ?? 1));
`,
  );
  return p;
}

describe.skipIf(skip !== null)(
  `tandem sync/diff to host:path over ssh${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    beforeAll(async () => {
      const missing = cliMissingReason();
      if (missing) throw new Error(`the CLI is not built (${missing})`);
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    beforeEach(() => {
      sb = makeSandbox('remote');
    });
    afterEach(() => sb.cleanup());

    it(
      'copies a tree to a new far folder: nested and empty folders, 0 B to 5 MiB files, links, a name that is not UTF-8',
      { timeout: 120_000 },
      async () => {
        fs.rmdirSync(sb.target); // the far side creates it
        writeTree(sb.source, {
          'empty.txt': file('', { mtime: OLD }),
          'one.txt': file('1', { mode: 0o600, mtime: OLD }),
          'page-1.bin': file(seededBytes('p-1', 4 * KiB - 1), { mtime: OLD }),
          'page.bin': file(seededBytes('p', 4 * KiB), { mode: 0o640, mtime: OLD }),
          'page+1.bin': file(seededBytes('p+1', 4 * KiB + 1), { mtime: OLD }),
          'run.sh': file('#!/bin/sh\necho hi\n', { mode: 0o755, mtime: OLD }),
          sub: {
            'chunk+1.bin': file(seededBytes('c+1', 128 * KiB + 1), { mtime: OLD }),
            deeper: {
              'three.bin': file(seededBytes('three', 3 * MiB + 7), { mtime: OLD }),
              deepest: { 'd.txt': file('delta', { mtime: OLD }) },
            },
            'to-one': link('../one.txt'),
            dangling: link('no/such/file'),
          },
          'five.bin': file(seededBytes('five', 5 * MiB), { mtime: OLD }),
          'empty-dir': {},
          nested: { empty: { folders: {} } },
        });
        const raw = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // café in latin-1
        const rawDir = Buffer.concat([Buffer.from(`${sb.source}/`), Buffer.from([0x64, 0xff])]);
        fs.writeFileSync(
          Buffer.concat([Buffer.from(`${sb.source}/`), raw, Buffer.from('.txt')]),
          'latin-1',
        );
        fs.mkdirSync(rawDir);
        fs.writeFileSync(
          Buffer.concat([rawDir, Buffer.from('/'), raw]),
          'inside a raw-named folder',
        );
        fs.chmodSync(path.join(sb.source, 'nested', 'empty'), 0o750);
        // Folders' times last (writing into a folder moves its mtime).
        setFolderTimes(sb.source, OLD);

        const run = await syncRun(['--yes']);
        expect(run.code, describeRun(run)).toBe(0);
        expect(run.stdout, describeRun(run)).toMatch(/^applied \d+ changes .*wrote 8\.\d MiB$/m);
        expect(run.stderr, describeRun(run)).toMatch(
          /^tandem: over ssh: sent 8\.\d MiB, received \d+(\.\d+)? (B|KiB|MiB)$/m,
        );
        expectIdentical();
        expect(fs.statSync(path.join(sb.target, STATE_DIR)).isDirectory()).toBe(true);

        const { run: d, plan } = await diffJson();
        expect(d.code, describeRun(d)).toBe(0);
        expect(plan.items).toEqual([]);
        expect(plan.sourceRootId).toBe(plan.targetRootId);
      },
    );

    it(
      'finds an unchanged pair in sync from the root ids alone: no items, under 4 KiB sent',
      { timeout: 90_000 },
      async () => {
        const spec: Record<string, string | Record<string, string>> = {};
        for (let d = 0; d < 10; d++) {
          const files: Record<string, string> = {};
          for (let f = 0; f < 30; f++) files[`f${f}.txt`] = `folder ${d} file ${f}`;
          spec[`d${d}`] = files;
        }
        writeTree(sb.source, { ...spec, 'big.bin': seededBytes('big', 2 * MiB) });
        await syncYes();

        const { run, out } = await syncJson(['--yes']);
        expect(run.code, describeRun(run)).toBe(0);
        expect(out.plan.items).toEqual([]);
        expect(out.plan.sourceRootId).toBe(out.plan.targetRootId);
        expect(out.result).toBeNull();
        expect(out.wire, `no wire counts in ${describeRun(run)}`).toBeDefined();
        expect(out.wire!.out, describeRun(run)).toBeLessThan(4 * KiB);
        expectIdentical();

        const text = await syncRun(['--yes']);
        expect(text.code, describeRun(text)).toBe(0);
        expect(text.stderr.trim(), describeRun(text)).toBe('tandem: in sync');
      },
    );

    it(
      "plans correctly when the target rules it remembers are not the far side's (scans again under them)",
      { timeout: 90_000 },
      async () => {
        writeTree(sb.source, { 'a.txt': 'alpha', d: { 'b.txt': 'beta' } });
        await syncYes();
        // As if the last run had met a target of another mtime granularity (FAT's 2 s).
        const file = indexFileOf(sb.home, pairKey(fs.realpathSync(sb.source), far()));
        const index = new IdentifierIndex(file);
        const stale = { nameRules: EXACT_NAMES, granularityMs: 2000 };
        index.setMeta('targetRules', JSON.stringify(stale));
        index.close();
        fs.writeFileSync(path.join(sb.source, 'd', 'b.txt'), 'beta, edited');
        const { run, out } = await syncJson(['--yes']);
        expect(run.code, describeRun(run)).toBe(0);
        expect(itemLines(out.plan)).toEqual(['d/b.txt update']);
        expectIdentical();
        const again = new IdentifierIndex(file);
        const now = JSON.parse(again.getMeta('targetRules')!) as { granularityMs: number };
        again.close();
        expect(now.granularityMs).not.toBe(2000);
        const { out: next } = await syncJson(['--yes']);
        expect(next.plan.items).toEqual([]);
      },
    );

    it(
      'sends 100 bytes inserted near the start of a 16 MiB file as about one content-defined chunk, as rsync blocks with --chunking fixed or to a far Tandem of protocol 2',
      { timeout: 180_000 },
      async () => {
        const bytes = seededBytes('push-shift', 16 * MiB);
        putFile(sb.source, 'shift.bin', bytes);
        await syncYes();
        const old = protocol2Tandem();
        const cases: [string, string[], string][] = [
          ['content-defined', [], CLI_PATH],
          ['fixed', ['--chunking', 'fixed'], CLI_PATH],
          ['protocol 2', [], old],
        ];
        const wire: Record<string, Wire> = {};
        for (const [k, [name, opts, tandem]] of cases.entries()) {
          const at = 4000 + k * 1000;
          const prev = fs.readFileSync(path.join(sb.source, 'shift.bin'));
          putFile(
            sb.source,
            'shift.bin',
            Buffer.concat([prev.subarray(0, at), seededBytes(`ins-${k}`, 100), prev.subarray(at)]),
          );
          const before = sourceNow();
          const run = await cli([
            'sync',
            sb.source,
            far(),
            '--yes',
            '--json',
            ...opts,
            ...remoteArgs(tandem),
          ]);
          expectSourceUntouched(before, run);
          expect(run.code, `${name}: ${describeRun(run)}`).toBe(0);
          const out = parseJsonOutput<SyncJson>(run);
          expect(itemLines(out.plan)).toEqual(['shift.bin update']);
          expect(out.result?.failed, describeRun(run)).toEqual([]);
          wire[name] = out.wire!;
          expectIdentical();
        }
        // Content-defined: a signature of 12 bytes a chunk of 16 KiB on average (12 KiB) comes,
        // and about one chunk (at most 64 KiB) goes; rsync's blocks of 4 KiB cost a 32 KiB
        // signature and a block or two. Either is far below the 16 MiB a plain copy would send.
        const cdc = wire['content-defined']!;
        expect(cdc.in).toBeLessThan(32 * KiB);
        expect(cdc.out).toBeLessThan(96 * KiB);
        for (const name of ['fixed', 'protocol 2']) {
          expect(wire[name]!.in, name).toBeGreaterThan(cdc.in + 16 * KiB);
          expect(wire[name]!.out, name).toBeLessThan(96 * KiB);
        }
      },
    );

    it(
      'sends only the differing 4 KiB pages of a 64 MiB file with three 4 KiB edits',
      { timeout: 120_000 },
      async () => {
        const big = path.join(sb.source, 'big.bin');
        writeSeededFile(big, 64 * MiB, 'remote-big');
        putFile(sb.source, 'small.txt', 'small');
        const first = await syncYes();
        expect(first.out.wire!.out, describeRun(first.run)).toBeGreaterThanOrEqual(64 * MiB);
        const inode = fs.statSync(path.join(sb.target, 'big.bin')).ino;

        // Three 4 KiB edits, spread out and not page-aligned (each touches two pages).
        for (const [k, pos] of [5 * MiB + 123, 31 * MiB + 4000, 60 * MiB + 77].entries())
          patchFile(big, pos, seededBytes(`edit-${k}`, 4 * KiB));
        setMtime(big, OLD);

        const { run, out } = await syncYes();
        expect(itemLines(out.plan)).toEqual(['big.bin update']);
        expect(out.plan.items[0]!.chunks?.changed).toHaveLength(3);
        expect(out.result, describeRun(run)).toMatchObject({ applied: 1, patchedInPlace: 1 });
        expect(out.wire!.out, `more than pages crossed: ${describeRun(run)}`).toBeLessThan(
          256 * KiB,
        );
        expect(fs.statSync(path.join(sb.target, 'big.bin')).ino, 'not patched in place').toBe(
          inode,
        );
        expectIdentical();
      },
    );

    it(
      'applies deletions and a move from the source, and keeps a target edit it replaces as a far-side version',
      { timeout: 120_000 },
      async () => {
        const moved = seededBytes('moved', 1 * MiB);
        writeTree(sb.source, {
          'keep.txt': 'kept as is',
          'gone.txt': 'deleted on the source',
          gone: { 'x.txt': 'in a deleted folder', 'y.txt': 'also in it' },
          from: { 'moving.bin': moved },
          'both.txt': 'original of a file both sides change',
          'theirs.txt': 'original of a file only the target changes',
        });
        await syncYes();
        const movingInode = fs.statSync(path.join(sb.target, 'from', 'moving.bin')).ino;

        fs.rmSync(path.join(sb.source, 'gone.txt'));
        fs.rmSync(path.join(sb.source, 'gone'), { recursive: true });
        fs.mkdirSync(path.join(sb.source, 'to'));
        fs.renameSync(
          path.join(sb.source, 'from', 'moving.bin'),
          path.join(sb.source, 'to', 'moved.bin'),
        );
        fs.writeFileSync(path.join(sb.source, 'both.txt'), 'the source changed it, longer now');
        const theirEdit = 'the target changed this one meanwhile';
        const bothEdit = "the target's own edit of both";
        fs.writeFileSync(path.join(sb.target, 'theirs.txt'), theirEdit);
        fs.writeFileSync(path.join(sb.target, 'both.txt'), bothEdit);

        const { run: d, plan } = await diffJson();
        expect(d.code, describeRun(d)).toBe(1);
        expect(itemLines(plan)).toEqual([
          'both.txt update targetEdited',
          'from metadata', // its mtime: an entry moved out of it
          'gone delete',
          'gone.txt delete',
          'gone/x.txt delete',
          'gone/y.txt delete',
          'theirs.txt update targetEdited',
          'to create',
          'to/moved.bin rename from from/moving.bin',
        ]);
        expect(plan.summary.conflicts).toBe(2);

        // Without --yes and without a terminal to ask: nothing applied, exit 1.
        const before = targetNow();
        const { run: held } = await syncJson([]);
        expect(held.code, describeRun(held)).toBe(1);
        expect(held.stderr, describeRun(held)).toMatch(/not applied: .*run again with --yes/);
        expect(
          diffSnapshots(before, targetNow(), { mode: true, mtime: true, inode: true }),
          describeRun(held),
        ).toEqual([]);

        const { run, out } = await syncYes();
        expect(out.result?.applied, describeRun(run)).toBeGreaterThanOrEqual(6);
        // The move is a rename on the far side: same inode, and its MiB did not cross again.
        expect(fs.statSync(path.join(sb.target, 'to', 'moved.bin')).ino).toBe(movingInode);
        expect(out.wire!.out, describeRun(run)).toBeLessThan(256 * KiB);
        expectIdentical();
        const kept = contentHashesUnder(path.join(sb.target, STATE_DIR, 'versions'));
        for (const t of [
          theirEdit,
          bothEdit,
          'deleted on the source',
          'in a deleted folder',
          'also in it',
        ])
          expect(kept.has(sha256(t)), `the far version store lacks "${t}"`).toBe(true);
      },
    );

    it(
      'diff exits 1 with changes and 0 in sync, and writes nothing on the far side',
      { timeout: 90_000 },
      async () => {
        writeTree(sb.source, { 'a.txt': 'alpha', sub: { 'b.bin': seededBytes('b', 300 * KiB) } });

        // A far target that does not exist yet: not created, no `.tandem` anywhere.
        const fresh = path.join(sb.base, 'fresh');
        const { run: d1, plan: p1 } = await diffJson(fresh);
        expect(d1.code, describeRun(d1)).toBe(1);
        expect(itemLines(p1)).toEqual(['a.txt create', 'sub create', 'sub/b.bin create']);
        expect(fs.existsSync(fresh), 'diff created the far target').toBe(false);

        // A far folder that holds other data and was never synced: untouched, no `.tandem`.
        writeTree(sb.target, { 'other.txt': 'not from the source', 'a.txt': 'another alpha' });
        const untouched = hashTree(sb.target);
        const { run: d2, plan: p2 } = await diffJson();
        expect(d2.code, describeRun(d2)).toBe(1);
        expect(itemLines(p2)).toEqual([
          'a.txt update targetUnknown',
          'other.txt delete targetUnknown',
          'sub create',
          'sub/b.bin create',
        ]);
        expect(fs.existsSync(path.join(sb.target, STATE_DIR)), 'diff made .tandem').toBe(false);
        expect(
          diffSnapshots(untouched, hashTree(sb.target), { mode: true, mtime: true, inode: true }),
          describeRun(d2),
        ).toEqual([]);

        // After a sync: in sync is 0; a change on the source is 1, and the target stays as it was.
        await syncYes();
        const { run: d3 } = await diffJson();
        expect(d3.code, describeRun(d3)).toBe(0);
        fs.writeFileSync(path.join(sb.source, 'a.txt'), 'alpha, changed');
        const before = targetNow();
        const { run: d4, plan: p4 } = await diffJson();
        expect(d4.code, describeRun(d4)).toBe(1);
        expect(itemLines(p4)).toEqual(['a.txt update']);
        expect(
          diffSnapshots(before, targetNow(), { mode: true, mtime: true, inode: true }),
          describeRun(d4),
        ).toEqual([]);
        const plain = await cli(['diff', sb.source, far(), ...remoteArgs()]);
        expect(plain.code, describeRun(plain)).toBe(1);
        expect(plain.stdout).toMatch(/^~ a\.txt /m);
      },
    );

    it(
      'compresses the connection with -z and paces the transfer with --bwlimit',
      { timeout: 60_000 },
      async () => {
        writeSeededFile(path.join(sb.source, 'data.bin'), 3 * MiB, 'bwlimit');
        putFile(sb.source, 'text.txt', 'the same line again\n'.repeat(20_000));
        const { run, out } = await syncJson(['--yes', '-z', '--bwlimit', '64M']);
        expect(run.code, describeRun(run)).toBe(0);
        expect(out.result?.failed ?? [], describeRun(run)).toEqual([]);
        expectIdentical();
        // A rate that is not one, and the options where the target is local: usage errors.
        const bad = await syncRun(['--yes', '--bwlimit', 'fast']);
        expect(bad.code, describeRun(bad)).toBe(2);
        expect(bad.stderr).toMatch(/^tandem: --bwlimit needs a rate of at least 1 KiB a second/);
        const local = await cli(['sync', sb.source, path.join(sb.base, 'local'), '-z']);
        expect(local.code, describeRun(local)).toBe(2);
        expect(local.stderr).toMatch(
          /--compress is for a folder on another machine \(host:path\), and .* are local folders/,
        );
        const chunking = await syncRun(['--yes', '--chunking', 'rabin']);
        expect(chunking.code, describeRun(chunking)).toBe(2);
        expect(chunking.stderr).toMatch(
          /^tandem: --chunking is cdc \(content-defined chunks, the default\) or fixed \(rsync's blocks\); got 'rabin'; see tandem --help$/m,
        );
        expect(oneLineErrorProblems(chunking.stderr)).toEqual([]);
        const localChunking = await cli([
          'sync',
          sb.source,
          path.join(sb.base, 'local'),
          '--chunking',
          'cdc',
        ]);
        expect(localChunking.code, describeRun(localChunking)).toBe(2);
        expect(localChunking.stderr).toMatch(/--chunking is for a folder on another machine/);
      },
    );

    it(
      'watches a pair with a remote target: each edit reaches the far folder, and SIGINT stops it',
      { timeout: 120_000 },
      async () => {
        putFile(sb.source, 'a.txt', 'first');
        const args = ['watch', sb.source, far(), '--auto', ...remoteArgs()];
        const child = spawnCli(args, { home: sb.home, cwd: sb.base });
        let out = '';
        child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
        const read = (rel: string) => {
          try {
            return fs.readFileSync(path.join(sb.target, rel), 'utf8');
          } catch {
            return null;
          }
        };
        try {
          await until('the ready line', () => /watching: in sync/.test(out), 60_000);
          expect(read('a.txt')).toBe('first');
          putFile(sb.source, 'docs/b.txt', 'second');
          await until('the edit on the far side', () => read('docs/b.txt') === 'second', 60_000);
        } finally {
          child.kill('SIGINT');
        }
        expect(await exited, out).toBe(0);
        expect(out).toMatch(new RegExp(`watching .* -> ${sshd.host}:`));
        expectIdentical();
      },
    );

    for (const direction of ['push', 'pull'] as const)
      it(
        `carries extended attributes with -X (${direction}): set, changed alone, removed, and remembered`,
        { timeout: 120_000 },
        async (ctx) => {
          if (!userXattrsSupported(sb.base)) ctx.skip();
          const folders = direction === 'push' ? [sb.source, far()] : [farSource(), sb.target];
          const run = async (opts: string[]) => {
            const before = sourceNow();
            const r = await cli(['sync', ...folders, '--yes', '--json', ...opts, ...remoteArgs()]);
            expectSourceUntouched(before, r);
            expect(r.code, describeRun(r)).toBe(0);
            const out = parseJsonOutput<SyncJson>(r);
            expect(out.result?.failed ?? [], describeRun(r)).toEqual([]);
            return out;
          };
          const a = path.join(sb.source, 'a.txt');
          putFile(sb.source, 'a.txt', 'alpha');
          putFile(sb.source, 'd/b.txt', 'beta');
          writeXattr(a, 'user.tag', Buffer.from('first'));
          writeXattr(path.join(sb.source, 'd'), 'user.folder', Buffer.from('on a folder'));
          await run(['-X']);
          const attrs = (rel: string) => readXattrs(path.join(sb.target, rel));
          expect(attrs('a.txt')).toBe(readXattrs(a));
          expect(attrs('d')).toBe(readXattrs(path.join(sb.source, 'd')));
          expect(attrs('d/b.txt')).toBe('');

          // An attribute changed alone is a metadata change, carried without the file's bytes;
          // the pair remembers -X.
          writeXattr(a, 'user.tag', Buffer.from('second'));
          writeXattr(a, 'user.more', Buffer.from('added'));
          const changed = await run([]);
          expect(itemLines(changed.plan)).toEqual(['a.txt metadata']);
          expect(attrs('a.txt')).toBe(readXattrs(a));
          writeXattr(a, 'user.tag', null);
          writeXattr(a, 'user.more', null);
          await run([]);
          expect(attrs('a.txt')).toBe('');
          expectIdentical();
          const again = await run([]);
          expect(again.plan.items).toEqual([]);
        },
      );

    describe('refusals: exit 2 and one line that says what to do', () => {
      const expectRefusal = (run: CliRun, pattern: RegExp): void => {
        expect(run.code, describeRun(run)).toBe(2);
        expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
        expect(run.stderr.trim(), describeRun(run)).toMatch(pattern);
      };

      it('a far target whose parent folder does not exist', { timeout: 60_000 }, async () => {
        putFile(sb.source, 'a.txt', 'a');
        const missing = path.join(sb.base, 'no-such-parent');
        const run = await syncRun(['--yes'], path.join(missing, 'target'));
        expectRefusal(
          run,
          new RegExp(
            `^tandem: the folder that should hold the target does not exist on .*: ${missing}$`,
          ),
        );
        expect(fs.existsSync(missing)).toBe(false);
      });

      it('-H for a far target', { timeout: 60_000 }, async () => {
        putFile(sb.source, 'a.txt', 'a');
        const fresh = path.join(sb.base, 'fresh');
        const run = await syncRun(['--yes', '-H'], fresh);
        expectRefusal(
          run,
          /^tandem: -H is not yet kept for a folder on another machine \(tandem-test\); sync without it, or to a local folder$/,
        );
        expect(fs.existsSync(fresh)).toBe(false);
      });

      it('a far pair that another sync holds: busy', { timeout: 120_000 }, async () => {
        putFile(sb.source, 'a.txt', 'a');
        await syncYes();
        // Another session holds the far pair: a connection of this test's own that has opened
        // the target there (the far server keeps the pair's lock until the connection ends).
        const holder = await RemoteConnection.open(
          { kind: 'remote', host: sshd.host, path: sb.target },
          {
            rsh: ['ssh', ...sshd.sshArgs()],
            remoteTandem: CLI_PATH,
            batch: true,
            version: appVersion(),
          },
        );
        try {
          await holder.request({
            t: 'openTarget',
            path: sb.target,
            sourceLabel: 'another:/source',
            write: true,
            confirmTarget: true,
            scheme: 'xxh128',
            ignore: [],
          });
          putFile(sb.source, 'b.txt', 'b');
          const before = sourceNow();
          const untouched = targetNow();
          const second = await cli(['sync', sb.source, far(), '--yes', ...remoteArgs()]);
          expectSourceUntouched(before, second);
          expectRefusal(
            second,
            /^tandem: tandem-test: pair busy \(pid \d+\): another Tandem is syncing this pair; run again once it is done$/,
          );
          expect(
            diffSnapshots(untouched, targetNow(), { mode: true, mtime: true, inode: true }),
            'a busy pair was written',
          ).toEqual([]);
        } finally {
          await holder.close();
        }
        // Once the holder is gone, the pair is free again.
        await syncYes();
        expectIdentical();
      });
    });

    it(
      'resumes an interrupted first copy: chunks that arrived are not sent again',
      { timeout: 120_000 },
      async () => {
        const FILES = 8;
        const SIZE = 8 * MiB;
        const total = FILES * SIZE;
        for (let i = 0; i < FILES; i++)
          writeSeededFile(path.join(sb.source, `part-${i}.bin`), SIZE, `resume-${i}`);
        fs.rmdirSync(sb.target);

        // The first run goes through a gate that lets 24 MiB of its 64 MiB through, then is
        // killed once the far side has kept chunks of it.
        const gate = writeGate();
        const farTandem = farTandemLink();
        const marker = path.join(sb.base, 'gate-closed');
        const GATE = 24 * MiB;
        const args = [
          'sync',
          sb.source,
          far(),
          '--yes',
          '--json',
          ...remoteArgs(farTandem, `${process.execPath} ${gate} -F ${sshd.configFile}`),
        ];
        const before = sourceNow();
        const child = spawnCli(args, {
          home: sb.home,
          cwd: sb.base,
          detached: true,
          env: { TANDEM_TEST_GATE_BYTES: String(GATE), TANDEM_TEST_GATE_MARKER: marker },
        });
        const killed = waitForCli(child, args, 110_000);
        await until('the gate to close', () => fs.existsSync(marker), 90_000);
        await until('chunks in the far .tandem/incoming', () => incomingChunks().count > 0, 60_000);
        signal(child.pid!, 'SIGKILL');
        const first = await killed;
        expect(first.signal, describeRun(first)).toBe('SIGKILL');
        expectSourceUntouched(before, first);
        // The gate and ssh end, and the far server, once they see the end of the connection.
        await until(
          'the killed run’s ssh and far server to end',
          () => !signal(-child.pid!, 0) && farServers(farTandem).length === 0,
          60_000,
          10,
        );
        // The last record as a far server killed while writing it leaves it: cut in the middle.
        const packs = fs.readdirSync(incomingDir()).filter((n) => n.startsWith('pack-'));
        expect(packs.length, 'no chunk arrived before the kill').toBeGreaterThan(0);
        const torn = path.join(incomingDir(), packs[0]!);
        const size = fs.statSync(torn).size;
        expect(size, 'no whole chunk arrived before the kill').toBeGreaterThan(2 * 128 * KiB);
        fs.truncateSync(torn, size - 64 * KiB);
        const arrived = incomingChunks();
        // The cut record's chunk is sent again whole; what is left of it counts for nothing.
        const CUT_RECORD = 128 * KiB;
        expect(arrived.bytes, 'no chunk arrived before the kill').toBeGreaterThan(0);
        expect(arrived.bytes).toBeLessThanOrEqual(GATE);
        for (let i = 0; i < FILES; i++)
          expect(
            fs.existsSync(path.join(sb.target, `part-${i}.bin`)),
            'applied before the kill',
          ).toBe(false);

        const { run, out } = await syncYes();
        // What crosses is the rest of the data plus the messages (requests, plan, a frame head
        // per chunk): bounded well below one chunk of 128 KiB.
        const overhead = 64 * KiB;
        expect(
          out.wire!.out,
          `${arrived.count} pack file(s), ${arrived.bytes} B, had arrived of ${total} B; the rerun sent ${out.wire!.out} B: ${describeRun(run)}`,
        ).toBeLessThan(total - (arrived.bytes - CUT_RECORD) + overhead);
        expect(out.result).toMatchObject({ applied: FILES, failed: [] });
        expectIdentical();
        expect(incomingChunks(), '.tandem/incoming is not empty after the applied run').toEqual({
          count: 0,
          bytes: 0,
        });
        console.log(
          `resume: ${(arrived.bytes / MiB).toFixed(1)} MiB had arrived; the rerun sent ${out.wire!.out} B of ${total} B, ${out.wire!.out - (total - arrived.bytes)} B more than the data missing`,
        );
      },
    );

    describe('from a source on another machine (host:SOURCE TARGET)', () => {
      /** `tandem sync host:SOURCE TARGET [opts]`; checks that the far source was not touched. */
      async function pullRun(opts: string[], target = sb.target): Promise<CliRun> {
        const before = sourceNow();
        const run = await cli(['sync', farSource(), target, ...opts, ...remoteArgs()]);
        expect(run.timedOut, describeRun(run)).toBe(false);
        expectSourceUntouched(before, run);
        return run;
      }
      async function pullJson(opts: string[], target = sb.target) {
        const run = await pullRun(['--json', ...opts], target);
        return { run, out: parseJsonOutput<SyncJson>(run) };
      }
      async function pullYes(target = sb.target) {
        const r = await pullJson(['--yes'], target);
        expect(r.run.code, describeRun(r.run)).toBe(0);
        expect(r.out.result?.failed ?? [], describeRun(r.run)).toEqual([]);
        return r;
      }
      const expectNoStateInSource = () =>
        expect(fs.existsSync(path.join(sb.source, STATE_DIR)), 'a .tandem in the source').toBe(
          false,
        );

      it(
        'copies a far tree into a new local folder byte for byte, and an unchanged pull costs a few KiB',
        { timeout: 120_000 },
        async () => {
          fs.rmdirSync(sb.target);
          writeTree(sb.source, {
            'empty.txt': file('', { mtime: OLD }),
            'one.txt': file('1', { mode: 0o600, mtime: OLD }),
            'page+1.bin': file(seededBytes('p+1', 4 * KiB + 1), { mtime: OLD }),
            'run.sh': file('#!/bin/sh\necho hi\n', { mode: 0o755, mtime: OLD }),
            sub: {
              'three.bin': file(seededBytes('three', 3 * MiB + 7), { mtime: OLD }),
              deeper: { 'd.txt': file('delta', { mtime: OLD }) },
              'to-one': link('../one.txt'),
              dangling: link('no/such/file'),
            },
            'empty-dir': {},
          });
          const raw = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // café in latin-1
          fs.writeFileSync(Buffer.concat([Buffer.from(`${sb.source}/`), raw]), 'latin-1');
          setFolderTimes(sb.source, OLD);

          // diff first: what a pull would make, exit 1, and the local target not created.
          const before = sourceNow();
          const d0 = await cli(['diff', farSource(), sb.target, '--json', ...remoteArgs()]);
          expectSourceUntouched(before, d0);
          expect(d0.code, describeRun(d0)).toBe(1);
          const planned = parseJsonOutput<Plan>(d0);
          expect(itemLines(planned)).toContain('sub/three.bin create');
          expect(planned.source).toBe(farSource());
          expect(fs.existsSync(sb.target), 'diff created the local target').toBe(false);

          const { run, out } = await pullYes();
          expect(run.stderr, describeRun(run)).not.toMatch(/^\s+at /m);
          expect(out.plan.source).toBe(farSource());
          expect(out.wire!.in, describeRun(run)).toBeGreaterThanOrEqual(3 * MiB);
          expectIdentical();
          expectNoStateInSource();
          expect(fs.statSync(path.join(sb.target, STATE_DIR)).isDirectory()).toBe(true);

          const again = await pullYes();
          expect(again.out.plan.items).toEqual([]);
          expect(again.out.plan.sourceRootId).toBe(again.out.plan.targetRootId);
          expect(again.out.wire!.in + again.out.wire!.out, describeRun(again.run)).toBeLessThan(
            8 * KiB,
          );
          const d = await cli(['diff', farSource(), sb.target, ...remoteArgs()]);
          expect(d.code, describeRun(d)).toBe(0);
          expect(d.stderr.trim(), describeRun(d)).toBe('tandem: in sync');
        },
      );

      it(
        'brings only the differing pages of a 32 MiB file with three 4 KiB edits, patched in place',
        { timeout: 120_000 },
        async () => {
          const big = path.join(sb.source, 'big.bin');
          writeSeededFile(big, 32 * MiB, 'pull-big');
          await pullYes();
          const inode = fs.statSync(path.join(sb.target, 'big.bin')).ino;
          for (const [k, pos] of [3 * MiB + 123, 17 * MiB + 4000, 30 * MiB + 77].entries())
            patchFile(big, pos, seededBytes(`pull-edit-${k}`, 4 * KiB));
          setMtime(big, OLD);
          const { run, out } = await pullYes();
          expect(itemLines(out.plan)).toEqual(['big.bin update']);
          expect(out.plan.items[0]!.chunks?.changed).toHaveLength(3);
          expect(out.result, describeRun(run)).toMatchObject({ applied: 1, patchedInPlace: 1 });
          expect(out.wire!.in, `more than pages came: ${describeRun(run)}`).toBeLessThan(128 * KiB);
          expect(fs.statSync(path.join(sb.target, 'big.bin')).ino).toBe(inode);
          expectIdentical();
        },
      );

      it(
        'brings 100 bytes inserted near the start of a 16 MiB file as a delta, not the rest of it',
        { timeout: 120_000 },
        async () => {
          const bytes = seededBytes('pull-shift', 16 * MiB);
          putFile(sb.source, 'shift.bin', bytes);
          await pullYes();
          putFile(
            sb.source,
            'shift.bin',
            Buffer.concat([bytes.subarray(0, 5000), seededBytes('ins', 100), bytes.subarray(5000)]),
          );
          const { run, out } = await pullYes();
          expect(itemLines(out.plan)).toEqual(['shift.bin update']);
          // About one content-defined chunk of 16 KiB on average comes (the signature goes).
          expect(out.wire!.in, describeRun(run)).toBeLessThan(96 * KiB);
          expectIdentical();
          // And as rsync blocks, with --chunking fixed.
          const now = fs.readFileSync(path.join(sb.source, 'shift.bin'));
          putFile(
            sb.source,
            'shift.bin',
            Buffer.concat([now.subarray(0, 9000), seededBytes('ins-2', 100), now.subarray(9000)]),
          );
          const fixed = await pullJson(['--yes', '--chunking', 'fixed']);
          expect(fixed.run.code, describeRun(fixed.run)).toBe(0);
          expect(itemLines(fixed.out.plan)).toEqual(['shift.bin update']);
          expect(fixed.out.wire!.in, describeRun(fixed.run)).toBeLessThan(2 * MiB);
          expectIdentical();
          // And from a far Tandem of protocol 2, which knows rsync's blocks only.
          const again = fs.readFileSync(path.join(sb.source, 'shift.bin'));
          putFile(
            sb.source,
            'shift.bin',
            Buffer.concat([
              again.subarray(0, 7000),
              seededBytes('ins-3', 100),
              again.subarray(7000),
            ]),
          );
          const older = await cli([
            'sync',
            farSource(),
            sb.target,
            '--yes',
            '--json',
            ...remoteArgs(protocol2Tandem()),
          ]);
          expect(older.code, describeRun(older)).toBe(0);
          expect(parseJsonOutput<SyncJson>(older).result?.failed, describeRun(older)).toEqual([]);
          expectIdentical();
        },
      );

      it(
        'holds local edits as conflicts, applies deletions and a move, and keeps what it replaces in the local version store',
        { timeout: 120_000 },
        async () => {
          writeTree(sb.source, {
            'keep.txt': 'kept as is',
            'gone.txt': 'deleted on the source',
            gone: { 'x.txt': 'in a deleted folder' },
            from: { 'moving.bin': seededBytes('moved', 1 * MiB) },
            'theirs.txt': 'original of a file only the target changes',
          });
          await pullYes();
          const movingInode = fs.statSync(path.join(sb.target, 'from', 'moving.bin')).ino;
          fs.rmSync(path.join(sb.source, 'gone.txt'));
          fs.rmSync(path.join(sb.source, 'gone'), { recursive: true });
          fs.mkdirSync(path.join(sb.source, 'to'));
          fs.renameSync(
            path.join(sb.source, 'from', 'moving.bin'),
            path.join(sb.source, 'to', 'moved.bin'),
          );
          const theirEdit = 'the target changed this one meanwhile';
          fs.writeFileSync(path.join(sb.target, 'theirs.txt'), theirEdit);

          // No terminal and no --yes: the plan is shown, nothing is applied, exit 1.
          const before = targetNow();
          const held = await pullRun([]);
          expect(held.code, describeRun(held)).toBe(1);
          expect(held.stdout, describeRun(held)).toMatch(/theirs\.txt/);
          expect(
            diffSnapshots(before, targetNow(), { mode: true, mtime: true, inode: true }),
            describeRun(held),
          ).toEqual([]);

          const { run, out } = await pullYes();
          expect(itemLines(out.plan)).toContain('theirs.txt update targetEdited');
          expect(itemLines(out.plan)).toContain('to/moved.bin rename from from/moving.bin');
          expect(fs.statSync(path.join(sb.target, 'to', 'moved.bin')).ino).toBe(movingInode);
          expect(out.wire!.in, describeRun(run)).toBeLessThan(64 * KiB);
          expectIdentical();
          const kept = contentHashesUnder(path.join(sb.target, STATE_DIR, 'versions'));
          for (const t of [theirEdit, 'deleted on the source', 'in a deleted folder'])
            expect(kept.has(sha256(t)), `the version store lacks "${t}"`).toBe(true);
          expectNoStateInSource();
        },
      );

      it(
        'holds a pull whose far source is empty and would delete every local file',
        { timeout: 90_000 },
        async () => {
          writeTree(sb.source, { 'a.txt': 'a', 'b.txt': 'b', d: { 'c.txt': 'c' } });
          await pullYes();
          for (const n of fs.readdirSync(sb.source))
            fs.rmSync(path.join(sb.source, n), { recursive: true });
          const before = targetNow();
          const { run, out } = await pullJson(['--yes']);
          expect(run.code, describeRun(run)).toBe(1);
          expect(out.plan.holds.map((h) => h.reason)).toContain('sourceEmpty');
          expect(
            diffSnapshots(before, targetNow(), { mode: true, mtime: true, inode: true }),
          ).toEqual([]);
        },
      );

      it(
        'resumes an interrupted pull: chunks kept here are not fetched again',
        { timeout: 120_000 },
        async () => {
          const FILES = 4;
          const SIZE = 8 * MiB;
          const total = FILES * SIZE;
          for (let i = 0; i < FILES; i++)
            writeSeededFile(path.join(sb.source, `part-${i}.bin`), SIZE, `pull-resume-${i}`);
          fs.rmdirSync(sb.target);
          // Paced (--bwlimit) so that the transfer lasts long enough to be cut in the middle:
          // the CLI is killed once a third of it is kept in the local .tandem/incoming.
          const args = ['sync', farSource(), sb.target, '--yes', '--bwlimit', '12M'];
          const before = sourceNow();
          const child = spawnCli([...args, ...remoteArgs()], {
            home: sb.home,
            cwd: sb.base,
            detached: true,
          });
          const killed = waitForCli(child, args, 110_000);
          await until(
            'a third of the data in .tandem/incoming',
            () => incomingChunks().bytes >= total / 3,
            90_000,
          );
          signal(child.pid!, 'SIGKILL');
          const first = await killed;
          expect(first.signal, describeRun(first)).toBe('SIGKILL');
          expectSourceUntouched(before, first);
          await until('the killed run’s ssh to end', () => !signal(-child.pid!, 0), 60_000, 10);
          const arrived = incomingChunks();
          for (let i = 0; i < FILES; i++)
            expect(fs.existsSync(path.join(sb.target, `part-${i}.bin`)), 'applied early').toBe(
              false,
            );

          const { run, out } = await pullYes();
          const CUT_RECORD = 128 * KiB;
          const overhead = 64 * KiB;
          expect(
            out.wire!.in,
            `${arrived.bytes} B of ${total} B had arrived; the rerun received ${out.wire!.in} B: ${describeRun(run)}`,
          ).toBeLessThan(total - (arrived.bytes - CUT_RECORD) + overhead);
          expect(out.result).toMatchObject({ applied: FILES, failed: [] });
          expectIdentical();
          expect(incomingChunks()).toEqual({ count: 0, bytes: 0 });
        },
      );

      describe('refusals: exit 2 and one line', () => {
        const expectRefusal = (run: CliRun, pattern: RegExp): void => {
          expect(run.code, describeRun(run)).toBe(2);
          expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
          expect(run.stderr.trim(), describeRun(run)).toMatch(pattern);
        };

        it('a far source that does not exist', { timeout: 60_000 }, async () => {
          const missing = path.join(sb.base, 'no-such-source');
          const run = await cli(['sync', farSource(missing), sb.target, '--yes', ...remoteArgs()]);
          expectRefusal(run, new RegExp(`^tandem: source folder not found on .*: ${missing}$`));
          expect(fs.readdirSync(sb.target)).toEqual([]);
        });

        it(
          'a far source that is the local target itself, or holds it',
          { timeout: 60_000 },
          async () => {
            putFile(sb.target, 'mine.txt', 'only copy');
            const same = await cli([
              'sync',
              farSource(sb.target),
              sb.target,
              '--yes',
              ...remoteArgs(),
            ]);
            expectRefusal(same, /source and target are the same folder$/);
            const inside = await cli([
              'sync',
              farSource(sb.base),
              sb.target,
              '--yes',
              ...remoteArgs(),
            ]);
            expectRefusal(inside, /is inside the source .*; choose a target outside it$/);
            expect(fs.readFileSync(path.join(sb.target, 'mine.txt'), 'utf8')).toBe('only copy');
            expect(fs.existsSync(path.join(sb.target, STATE_DIR))).toBe(false);
          },
        );

        it(
          'both folders on other machines, and --owner from one',
          { timeout: 60_000 },
          async () => {
            putFile(sb.source, 'a.txt', 'a');
            expectRefusal(
              await cli(['sync', farSource(), far(), ...remoteArgs()]),
              /are both on other machines; one folder of a pair must be on this one/,
            );
            expectRefusal(
              await pullRun(['--yes', '--owner']),
              /^tandem: --owner is not yet kept for a folder on another machine \(tandem-test\); sync without it, or from a local folder$/,
            );
            expect(fs.readdirSync(sb.target)).toEqual([]);
          },
        );
      });

      it(
        'watches a pull: the far tree arrives, it says when the pair is ready, and SIGINT stops it',
        { timeout: 120_000 },
        async () => {
          putFile(sb.source, 'docs/a.txt', 'from the far side');
          const before = sourceNow();
          const args = ['watch', farSource(), sb.target, '--auto', ...remoteArgs()];
          const child = spawnCli(args, { home: sb.home, cwd: sb.base });
          let out = '';
          child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
          child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
          const exited = new Promise<number | null>((resolve) =>
            child.on('exit', (c) => resolve(c)),
          );
          try {
            await until('the ready line', () => /compared every minute: in sync/.test(out), 60_000);
          } finally {
            child.kill('SIGINT');
          }
          expect(await exited, out).toBe(0);
          expect(out).toMatch(new RegExp(`watching ${sshd.host}:.* -> `));
          expectIdentical();
          expect(
            diffSnapshots(before, sourceNow(), { mode: true, mtime: true, inode: true }),
          ).toEqual([]);
        },
      );

      it(
        `leaves every local file old or new when a pull is killed on either side, and converges (${PULL_KILL_TRIALS} trials, seed ${PULL_KILL_SEED})`,
        { timeout: 600_000 },
        async () => {
          await killTrials(true, PULL_KILL_SEED, PULL_KILL_TRIALS);
        },
      );
    });

    it(
      `leaves every far file old or new when a sync is killed on either side, and converges (${KILL_TRIALS} trials, seed ${KILL_TRIALS_SEED})`,
      { timeout: 600_000 },
      async () => {
        await killTrials();
      },
    );
  },
);

/** Sets every folder's times below `root` (deepest first) and the root's, by bytes. */
function setFolderTimes(root: string, when: Date): void {
  const visit = (dir: Buffer): void => {
    for (const n of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const p = Buffer.concat([dir, Buffer.from('/'), n]);
      if (fs.lstatSync(p).isDirectory()) visit(p);
    }
    fs.utimesSync(dir, when, when);
  };
  for (const n of fs.readdirSync(root, { encoding: 'buffer' })) {
    const p = Buffer.concat([Buffer.from(`${root}/`), n]);
    if (fs.lstatSync(p).isDirectory()) visit(p);
  }
}

// ---------------------------------------------------------------------------------------------
// Kill trials

const BIG_FILES = 6;
const PAGE = 4 * KiB;

interface Version {
  state: TreeState;
  /** the big files' bytes, to tell a half-done patch (page by page old or new) */
  big: Map<string, Buffer>;
}

function readVersion(): Version {
  const big = new Map<string, Buffer>();
  for (let i = 0; i < BIG_FILES; i++) {
    const rel = `big/f${i}.bin`;
    big.set(rel, fs.readFileSync(path.join(sb.source, rel)));
  }
  return { state: stateOf(sb.source), big };
}

let created = 0;

/** Changes several files on the source: patches, rewrites, growth; small files changed, made, deleted. */
function mutate(rng: Rng): Version {
  for (let i = 0; i < BIG_FILES; i++) {
    const p = path.join(sb.source, `big/f${i}.bin`);
    const size = fs.statSync(p).size;
    const how = i < 3 ? i : rng.int(4); // the first three always change, one way each
    if (how === 0) {
      // a few 4 KiB scribbles: the journaled in-place patch
      for (let k = 0; k < 3; k++) patchFile(p, rng.int(size - PAGE), rng.bytes(PAGE));
    } else if (how === 1) {
      // most of it: a temp file renamed into place
      for (let at = 0; at + 64 <= size; at += 96 * KiB)
        patchFile(p, at + rng.int(1024), rng.bytes(64));
    } else if (how === 2) {
      fs.appendFileSync(p, rng.bytes(1 + rng.int(200 * KiB)));
    }
  }
  const small = fs.readdirSync(path.join(sb.source, 'small')).sort();
  const picks = rng.sample(small.length, 3);
  fs.writeFileSync(path.join(sb.source, 'small', small[picks[0]!]!), rng.bytes(rng.int(8 * KiB)));
  fs.writeFileSync(path.join(sb.source, 'small', small[picks[1]!]!), rng.bytes(rng.int(8 * KiB)));
  fs.rmSync(path.join(sb.source, 'small', small[picks[2]!]!));
  putFile(sb.source, `small/new-${++created}.bin`, rng.bytes(rng.int(8 * KiB)));
  return readVersion();
}

/**
 * Every far entry holds its old or its new content. Before recovery, a file being patched in
 * place may be half done while its undo journal waits in `.tandem/journal` (the next open of the
 * pair rolls it back): counted as torn, not as a problem.
 */
function checkOldOrNew(old: Version, next: Version, beforeRecovery: boolean) {
  const now = stateOf(sb.target);
  const journal = stateDirPaths(sb.target).filter((p) => p.startsWith('journal/'));
  const problems: string[] = [];
  let torn = 0;
  let atNew = 0;
  for (const p of new Set([...old.state.keys(), ...next.state.keys(), ...now.keys()])) {
    const has = now.get(p) ?? 'absent';
    const was = old.state.get(p) ?? 'absent';
    const will = next.state.get(p) ?? 'absent';
    if (has === will && was !== will) atNew++;
    if (has === was || has === will) continue;
    const a = old.big.get(p);
    const b = next.big.get(p);
    if (
      beforeRecovery &&
      journal.length > 0 &&
      a &&
      b &&
      isPageMix(path.join(sb.target, p), a, b)
    ) {
      torn++;
      continue;
    }
    problems.push(
      `${JSON.stringify(p)}: holds ${has}, neither old ${was} nor new ${will} (journal files: ${journal.length})`,
    );
  }
  return { problems, torn, atNew };
}

type Victim = 'local CLI' | 'far server' | 'ssh connection';
/** What a kill's delay counts from: the spawn, the first chunk kept far, the far apply's start. */
type Moment = 'spawn' | 'transfer' | 'apply';

interface KillPlan {
  victim: Victim;
  after: Moment;
  delayMs: number;
}

/**
 * Kill trials of a push (the far side is the target, and applies) or, with `pull`, of a pull
 * (the far side is the source, this side's CLI applies): the same folders, the same victims.
 */
async function killTrials(pull = false, KILL_SEED = KILL_TRIALS_SEED, trials = KILL_TRIALS) {
  const KILL_TRIALS = trials;
  const rng = createRng(KILL_SEED);
  const report: string[] = [];
  const farTandem = farTandemLink();
  const folders = pull ? [farSource(), sb.target] : [sb.source, far()];
  const args = ['sync', ...folders, '--yes', '--json', ...remoteArgs(farTandem)];
  const label = (t: number, a: number) => `trial ${t + 1}.${a + 1} (seed ${KILL_SEED})`;
  const applier = pull ? 'the apply' : 'the far apply';

  fs.mkdirSync(path.join(sb.source, 'big'));
  for (let i = 0; i < BIG_FILES; i++) {
    writeSeededFile(
      path.join(sb.source, `big/f${i}.bin`),
      (2 + rng.int(4)) * MiB + rng.int(64 * KiB),
      `${KILL_SEED}/f${i}`,
    );
  }
  for (let i = 0; i < 12; i++)
    putFile(sb.source, `small/s${String(i).padStart(2, '0')}.bin`, rng.bytes(rng.int(8 * KiB)));

  /**
   * Runs a sync in its own process group, watching the far target for the transfer and the
   * apply, and kills as planned; then waits until its ssh and far server are gone.
   */
  const runAndKill = async (kill: KillPlan | null) => {
    const before = sourceNow();
    const applying = applyProbe(sb.target);
    const child = spawnCli(args, { home: sb.home, cwd: sb.base, detached: true });
    const started = performance.now();
    const done = waitForCli(child, args, 110_000);
    let finished = false;
    let killedPid: number | null = null;
    const seen: Record<Moment, number | null> = { spawn: 0, transfer: null, apply: null };
    let timer: NodeJS.Timeout | undefined;
    let hunt: NodeJS.Timeout | undefined;
    const killNow = (): void => {
      if (finished || !kill) return;
      if (kill.victim === 'local CLI') {
        if (signal(child.pid!, 'SIGKILL')) killedPid = child.pid!;
        return;
      }
      // The far server of this run (the only one started as this test's far-bin link), or the
      // ssh the CLI started: before it is there, it is looked for until it is or the run ended.
      const find = (): void => {
        const pid = finished
          ? undefined
          : kill.victim === 'far server'
            ? farServers(farTandem)[0]
            : sshOf(child.pid!)[0];
        if (pid !== undefined && signal(pid, 'SIGKILL')) killedPid = pid;
        else if (!finished) hunt = setTimeout(find, 1);
      };
      find();
    };
    const arm = (m: Moment): void => {
      if (kill?.after === m) timer = setTimeout(killNow, kill.delayMs);
    };
    arm('spawn');
    const poll = setInterval(() => {
      const at = performance.now() - started;
      if (seen.transfer === null && incomingChunks().count > 0) {
        seen.transfer = at;
        arm('transfer');
      }
      if (seen.apply === null && applying()) {
        seen.apply = at;
        arm('apply');
      }
    }, 1);
    const run = await done;
    finished = true;
    clearInterval(poll);
    clearTimeout(timer);
    clearTimeout(hunt);
    const ms = performance.now() - started;
    expectSourceUntouched(before, run);
    await until(
      'the run’s ssh and far server to end',
      () => !signal(-child.pid!, 0) && farServers(farTandem).length === 0,
      60_000,
      10,
    );
    return {
      run,
      ms,
      seen,
      // Interrupted: the CLI died, or it failed for its far server's death. A far server killed
      // while it closes, after its last reply, leaves a run that succeeded.
      interrupted: killedPid !== null && (run.signal === 'SIGKILL' || run.code !== 0),
    };
  };

  const first = await runAndKill(null);
  expect(first.run.code, describeRun(first.run)).toBe(0);
  expectIdentical();
  let current = readVersion();

  // How long an unkilled run of such a change takes, from each moment to its end: the kills fall
  // in those spans.
  let next = mutate(rng);
  const measured = await runAndKill(null);
  expect(measured.run.code, describeRun(measured.run)).toBe(0);
  expectIdentical();
  current = next;
  // A moment the probes did not catch (the poll was not scheduled while it lasted, on a loaded
  // machine) gets a tenth of the run as its span.
  const spans: Record<Moment, number> = { spawn: measured.ms, transfer: 0, apply: 0 };
  for (const m of ['transfer', 'apply'] as const) {
    const at = measured.seen[m];
    spans[m] = at === null ? Math.max(1, measured.ms / 10) : Math.max(1, measured.ms - at);
  }
  const shownAt = (at: number | null) => (at === null ? 'unseen' : `${Math.round(at)} ms`);
  report.push(
    `an unkilled run took ${Math.round(measured.ms)} ms; chunks came from ${shownAt(measured.seen.transfer)}, the apply from ${shownAt(measured.seen.apply)}`,
  );

  let interruptedInApply = 0;
  for (let t = 0; t < KILL_TRIALS; t++) {
    const drawn: Victim = (['local CLI', 'far server', 'ssh connection'] as const)[rng.int(3)]!;
    // The apply is where a file can be caught between old and new: half the draws.
    let after: Moment = (['spawn', 'transfer', 'apply', 'apply'] as const)[rng.int(4)]!;
    // A pull has every chunk here before its apply begins: from then on only the local CLI's
    // death can interrupt it (a far server or ssh killed then is a connection no longer used).
    const victim: Victim = pull && after === 'apply' ? 'local CLI' : drawn;
    let fraction = rng.next();
    for (let a = 0; ; a++) {
      const name = label(t, a);
      const old = current;
      next = mutate(rng);
      const kill: KillPlan = { victim, after, delayMs: fraction * spans[after] };
      const { run, interrupted, ms, seen } = await runAndKill(kill);
      const when = `${Math.round(kill.delayMs)} ms after ${after === 'spawn' ? 'the spawn' : after === 'transfer' ? 'the first chunk arrived' : `${applier} began`}`;
      // Killed, the CLI dies by the signal; its far server or its ssh killed, it fails with one
      // line, exit 2.
      if (!interrupted) expect(run.code, `${name}: ${describeRun(run)}`).toBe(0);
      else if (victim !== 'local CLI') {
        expect(run.code, `${name}: ${describeRun(run)}`).toBe(2);
        expect(oneLineErrorProblems(run.stderr), `${name}: ${describeRun(run)}`).toEqual([]);
      }
      expect(run.stderr, `${name}: a stack trace: ${describeRun(run)}`).not.toMatch(/^\s+at /m);

      const afterKill = checkOldOrNew(old, next, true);
      expect(afterKill.problems, `${name}: after killing the ${victim} ${when}`).toEqual([]);

      // diff opens the far pair, which undoes a half-done patch first: then strictly old or new.
      const d = await cli(['diff', ...folders, ...remoteArgs(farTandem)]);
      expect([0, 1], `${name}: diff after the kill: ${describeRun(d)}`).toContain(d.code);
      const recovered = checkOldOrNew(old, next, false);
      expect(recovered.problems, `${name}: after recovery by diff (kill ${when})`).toEqual([]);

      const rerun = await runAndKill(null);
      expect(rerun.run.code, `${name}: the rerun: ${describeRun(rerun.run)}`).toBe(0);
      expect(
        diffTrees(sb.source, sb.target, { mode: true, mtime: true }),
        `${name}: after the rerun (kill ${when})`,
      ).toEqual([]);
      expect(incomingChunks(), `${name}: .tandem/incoming after the rerun`).toEqual({
        count: 0,
        bytes: 0,
      });
      current = next;
      report.push(
        `${name}: ${interrupted ? `killed the ${victim}` : `the run ended before the ${victim} was killed`} ${when}; ` +
          `${afterKill.atNew} entries already new, ${afterKill.torn} half-patched awaiting recovery; diff exit ${d.code}` +
          (interrupted && run.stderr.trim()
            ? `; it said ${JSON.stringify(run.stderr.trim().slice(0, 160))}`
            : ''),
      );
      if (interrupted) {
        if (after === 'apply') interruptedInApply++;
        break;
      }
      // The moment fell after the end of the run: the same trial again, sooner; counted from the
      // spawn if the probes missed the moment it counts from.
      if (seen[after] === null) after = 'spawn';
      if (after === 'spawn') spans.spawn = Math.min(spans.spawn, ms);
      fraction /= 2;
      if (a + 1 >= KILL_ATTEMPTS)
        throw new Error(
          `${name}: ${KILL_ATTEMPTS} runs all ended before their kill:\n${report.join('\n')}`,
        );
    }
  }
  report.push(`${interruptedInApply} of ${KILL_TRIALS} trials were interrupted during ${applier}`);
  console.log(
    `remote ${pull ? 'pull ' : ''}kill trials (seed ${KILL_SEED}):\n  ${report.join('\n  ')}`,
  );
}
