// The target's one door, end to end through `tandem`: a `.tandem` that is not a real folder is
// refused before anything is read or written through it, a `.tandem` at the source's root is
// reported, and folder and symlink times (not only files') end up as the source's.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { cliMissingReason, describeRun, parseJsonOutput, runCli } from '../testing/cliRunner.js';
import { file, link, makeSandbox, setMtime, writeTree, type Sandbox } from '../testing/sandbox.js';
import { diffSnapshots, diffTrees, hashTree } from '../testing/treeSnapshot.js';

let sb: Sandbox;

beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('door');
});
afterEach(() => sb.cleanup());

const cli = (...args: string[]) => runCli(args, { home: sb.home, timeoutMs: 90_000, cwd: sb.base });

const everything = (root: string) => hashTree(root, { includeStateDir: true });
const OLD = new Date('2001-02-03T04:05:06.000Z');

describe('the state folder .tandem must be a real folder', () => {
  it('refuses a TARGET/.tandem that links to the source, and leaves the source exactly as it was', async () => {
    writeTree(sb.source, {
      'a.txt': 'a',
      tmp: { 'notes.txt': 'my notes' },
      versions: { old: { 'keep.txt': 'keep me' } },
      journal: { 'x.jnl': 'not a journal' },
    });
    fs.mkdirSync(sb.target, { recursive: true });
    fs.symlinkSync(sb.source, path.join(sb.target, '.tandem'));
    const before = everything(sb.source);
    for (const args of [
      ['sync', sb.source, sb.target, '--yes', '--force'],
      ['diff', sb.source, sb.target],
    ]) {
      const run = await cli(...args);
      expect(run.code, describeRun(run)).toBe(2);
      expect(run.stderr).toMatch(/\.tandem is a symlink, not a folder/);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(diffSnapshots(before, everything(sb.source), { mode: true, inode: true })).toEqual([]);
    }
    expect(fs.readdirSync(sb.target)).toEqual(['.tandem']);
  });

  it('never touches what a TARGET/.tandem link points to elsewhere, even for diff', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    writeTree(sb.outside, { tmp: { 'precious.txt': 'precious' }, lock: 'someone else' });
    fs.mkdirSync(sb.target, { recursive: true });
    fs.symlinkSync(sb.outside, path.join(sb.target, '.tandem'));
    const before = everything(sb.outside);
    const run = await cli('diff', sb.source, sb.target);
    expect(run.code, describeRun(run)).toBe(2);
    expect(diffSnapshots(before, everything(sb.outside), { inode: true })).toEqual([]);
  });

  it('refuses a TARGET/.tandem that is a file, and a .tandem/tmp that is a link', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    writeTree(sb.target, { '.tandem': 'a file where the folder should be' });
    const run = await cli('sync', sb.source, sb.target, '--yes');
    expect(run.code, describeRun(run)).toBe(2);
    expect(run.stderr).toMatch(/\.tandem is a file, not a folder/);

    fs.rmSync(path.join(sb.target, '.tandem'));
    fs.mkdirSync(path.join(sb.target, '.tandem'));
    writeTree(sb.outside, { 'x.txt': 'x' });
    fs.symlinkSync(sb.outside, path.join(sb.target, '.tandem', 'tmp'));
    const again = await cli('sync', sb.source, sb.target, '--yes');
    expect(again.code, describeRun(again)).toBe(2);
    expect(again.stderr).toMatch(/\.tandem\/tmp is a symlink, not a folder/);
    expect(fs.readFileSync(path.join(sb.outside, 'x.txt'), 'utf8')).toBe('x');
  });
});

describe('a .tandem folder at the source root', () => {
  it('is reported as skipped with its reason, not dropped silently', async () => {
    writeTree(sb.source, { 'a.txt': 'a', '.tandem': { 'mine.txt': 'the user’s own folder' } });
    const run = await cli('diff', sb.source, sb.target, '--json');
    const plan = parseJsonOutput<Plan>(run);
    expect(plan.skipped).toEqual([
      expect.objectContaining({ side: 'source', path: '.tandem', unknown: false }),
    ]);
    expect(plan.skipped[0]!.reason).toMatch(/Tandem's own folder/);
    const plain = await cli('diff', sb.source, sb.target);
    expect(plain.stdout).toMatch(/\? \.tandem {2}\(source: .*rename it to sync it\)/);
  });
});

describe('metadata: folder and symlink times, and what differs said once', () => {
  /** Mode and mtime of every folder (the root aside) and mtime of every symlink differ? */
  function timeProblems(): string[] {
    const a = hashTree(sb.source);
    const b = hashTree(sb.target);
    const out: string[] = [];
    for (const [p, x] of a) {
      const y = b.get(p);
      if (!y || p === '' || (x.kind !== 'dir' && x.kind !== 'symlink')) continue;
      if (x.mtimeMs !== y.mtimeMs) out.push(`${p}: mtime ${x.mtimeMs} vs ${y.mtimeMs}`);
      if (x.kind === 'dir' && x.mode !== y.mode) out.push(`${p}: mode ${x.mode} vs ${y.mode}`);
    }
    return out;
  }

  it('gives folders (new and existing) and symlinks the source’s times, and a second sync is a no-op', async () => {
    writeTree(sb.source, {
      docs: {
        'a.txt': file('a', { mtime: OLD }),
        deep: { 'b.txt': file('b', { mtime: OLD }) },
        'readme-link': link('a.txt'),
      },
    });
    fs.chmodSync(path.join(sb.source, 'docs', 'deep'), 0o750);
    for (const d of ['docs/deep', 'docs']) setMtime(path.join(sb.source, d), OLD);
    fs.lutimesSync(path.join(sb.source, 'docs', 'readme-link'), OLD, OLD);
    const first = await cli('sync', sb.source, sb.target, '--yes');
    expect(first.code, describeRun(first)).toBe(0);
    expect(timeProblems()).toEqual([]);

    // A new file in an existing folder changes that folder's mtime on both sides.
    writeTree(path.join(sb.source, 'docs', 'deep'), { 'c.txt': 'c' });
    setMtime(path.join(sb.source, 'docs', 'deep'), new Date('2005-05-05T05:05:05.000Z'));
    const second = await cli('sync', sb.source, sb.target, '--yes');
    expect(second.code, describeRun(second)).toBe(0);
    expect(timeProblems()).toEqual([]);
    expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);

    // A symlink's time alone is a metadata change.
    fs.lutimesSync(path.join(sb.source, 'docs', 'readme-link'), 1e9, 1e9);
    const d = await cli('diff', sb.source, sb.target, '--json');
    expect(d.code, describeRun(d)).toBe(1);
    const plan = parseJsonOutput<Plan>(d);
    expect(plan.items.map((i) => [i.path, i.kind, i.differs])).toEqual([
      ['docs/readme-link', 'metadata', ['mtime']],
    ]);
    const third = await cli('sync', sb.source, sb.target, '--yes');
    expect(third.code, describeRun(third)).toBe(0);
    expect(timeProblems()).toEqual([]);
    const last = await cli('diff', sb.source, sb.target);
    expect(last.code, describeRun(last)).toBe(0);
  });

  it('shows a mode-only change as mode only', async () => {
    writeTree(sb.source, { 'a.txt': file('a', { mtime: OLD }) });
    expect((await cli('sync', sb.source, sb.target, '--yes')).code).toBe(0);
    fs.chmodSync(path.join(sb.source, 'a.txt'), 0o600);
    const run = await cli('diff', sb.source, sb.target);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stdout).toMatch(/^m a\.txt {2}mode 0?644 -> 0?600$/m);
    const json = await cli('sync', sb.source, sb.target, '--yes', '--json');
    const out = parseJsonOutput<{ plan: Plan; result: ApplyResult }>(json);
    expect(out.plan.items.map((i) => i.differs)).toEqual([['mode']]);
    expect(out.result.failed).toEqual([]);
  });
});
