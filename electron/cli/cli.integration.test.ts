// The `tandem` command line against its contract (DESIGN.md): real folders, real child processes.
// Every sync checks that the source was not touched (content, mode, mtime, inode and ctime); one
// file holds the whole contract so that it reads as its specification, case by case.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, EntryType, Plan, PlanItem } from '../shared/plan.js';
import {
  cliMissingReason,
  describeRun,
  oneLineErrorProblems,
  parseJsonOutput,
  runCli,
  spawnCli,
  waitForCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { patchFile, seededBytes, writeSeededFile } from '../testing/rng.js';
import { listVersions, restoreVersion } from '../engine/core/target/versionRestore.js';
import {
  file,
  link,
  listenUnixSocket,
  makeSandbox,
  mkfifo,
  putFile,
  rewriteKeepingMtime,
  setMtime,
  STATE_DIR,
  writeTree,
  type Sandbox,
} from '../testing/sandbox.js';
import {
  diffTrees,
  contentHashesUnder,
  diffSnapshots,
  hashTree,
  sha256,
  sha256File,
  type TreeSnapshot,
} from '../testing/treeSnapshot.js';

interface SyncOutput {
  plan: Plan;
  result: ApplyResult | null;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** An mtime far from "now", so only the index (not the 2-second rule) decides what is rehashed. */
const OLD = new Date('2001-02-03T04:05:06.000Z');

let sb: Sandbox;
/** run the CLI so that chmod 000 binds it even as root (permissionBindingPrefix) */
let honourPermissions = false;

beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('cli');
  honourPermissions = false;
});
afterEach(() => sb.cleanup());

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, {
    home: sb.home,
    timeoutMs: 90_000,
    cwd: sb.base,
    honourPermissions,
  });
}

/** Runs `tandem sync SOURCE TARGET --json …` and checks the source was not modified in any way. */
async function sync(...opts: string[]): Promise<{ run: CliRun; out: SyncOutput }> {
  const before = hashTree(sb.source);
  const run = await cli('sync', sb.source, sb.target, '--json', ...opts);
  const changed = diffSnapshots(before, hashTree(sb.source), {
    mode: true,
    mtime: true,
    inode: true,
  });
  expect(changed, `the source was modified by ${describeRun(run)}`).toEqual([]);
  expect(run.timedOut, describeRun(run)).toBe(false);
  const out = parseJsonOutput<SyncOutput>(run);
  expect(repeatedPaths(out.plan), describeRun(run)).toEqual([]);
  return { run, out };
}

/** `sync --yes`, which must finish with exit 0 and no failed items. */
async function syncYes(...opts: string[]): Promise<SyncOutput> {
  const { run, out } = await sync('--yes', ...opts);
  expect(run.code, describeRun(run)).toBe(0);
  expect(out.result?.failed ?? [], describeRun(run)).toEqual([]);
  return out;
}

async function diff(): Promise<{ run: CliRun; plan: Plan }> {
  const run = await cli('diff', sb.source, sb.target, '--json');
  expect(run.timedOut, describeRun(run)).toBe(false);
  const plan = parseJsonOutput<Plan>(run);
  expect(repeatedPaths(plan), describeRun(run)).toEqual([]);
  return { run, plan };
}

/** diff with differences: exit 1, and its plan. */
async function diffPending(): Promise<Plan> {
  const { run, plan } = await diff();
  expect(run.code, describeRun(run)).toBe(1);
  return plan;
}

/** A plan names each path once: one item says what happens there. */
function repeatedPaths(plan: Plan): string[] {
  const seen = new Set<string>();
  return plan.items.map((i) => i.path).filter((p) => seen.has(p) || !seen.add(p));
}

function item(plan: Plan, p: string): PlanItem | undefined {
  return plan.items.find((i) => i.path === p);
}

/** Items as `path kind[ conflict]` lines, sorted: compact to compare as a whole. */
function itemLines(plan: Plan): string[] {
  return plan.items.map((i) => `${i.path} ${i.kind}${i.conflict ? ` ${i.conflict}` : ''}`).sort();
}

function typeAt(root: string, rel: string): EntryType | 'absent' | 'other' {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path.join(root, rel));
  } catch {
    return 'absent';
  }
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  return st.isSymbolicLink() ? 'symlink' : 'other';
}

/** The contents of every file in the target's version store, whatever its layout. */
function versionFiles(): Buffer[] {
  const dir = path.join(sb.target, STATE_DIR, 'versions');
  return [...hashTree(dir, { hashContent: false })]
    .filter(([, e]) => e.kind === 'file')
    .map(([p]) => fs.readFileSync(path.join(dir, p)));
}

function versionHashes(): Set<string> {
  return contentHashesUnder(path.join(sb.target, STATE_DIR, 'versions'));
}

/** Target identical to the source (bytes, links, files' modes and mtimes); diff and plain diff say so. */
async function expectInSync(): Promise<void> {
  expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);
  const { run, plan } = await diff();
  expect(run.code, describeRun(run)).toBe(0);
  expect(plan.items).toEqual([]);
  expect(plan.sourceRootId, `root ids differ: ${describeRun(run)}`).toBe(plan.targetRootId);
  const plain = await cli('diff', sb.source, sb.target);
  expect(plain.code, describeRun(plain)).toBe(0);
}

/**
 * Gives these paths one old mtime on both sides (folders after their contents): entries written
 * a moment apart differ in mtime, which is a difference Tandem syncs, not the one a test is about.
 */
function sameTimesOnBothSides(rels: string[]): void {
  for (const rel of rels)
    for (const root of [sb.source, sb.target]) setMtime(path.join(root, rel), OLD);
}

/** The target as a snapshot without `.tandem/`, to show that a run wrote nothing there. */
function targetNow(): TreeSnapshot {
  const snap = hashTree(sb.target);
  snap.delete(''); // the root's own ctime changes when `.tandem/` is made in it
  return snap;
}

function expectUnchanged(before: TreeSnapshot, run: CliRun): void {
  expect(
    diffSnapshots(before, targetNow(), { mode: true, mtime: true, inode: true }),
    describeRun(run),
  ).toEqual([]);
}

describe('tandem sync and diff: copying', () => {
  it('copies new files, folders, empty files and empty folders; then diff and a second sync report in sync', async () => {
    writeTree(sb.source, {
      'a.txt': 'alpha\n',
      'empty.txt': '',
      sub: { 'b.bin': seededBytes('b', 300 * KiB), 'c.txt': 'gamma', deeper: { 'd.txt': 'delta' } },
      'empty-dir': {},
      nested: { empty: { folders: {} } },
    });
    const files = ['a.txt', 'empty.txt', 'sub/b.bin', 'sub/c.txt', 'sub/deeper/d.txt'];
    const before = targetNow();

    const plan = await diffPending();
    expect(plan.sourceRootId).not.toBe(plan.targetRootId);
    for (const f of files) expect(item(plan, f)?.kind, f).toBe('create');
    expect(plan.items.filter((i) => i.kind !== 'create' || i.conflict)).toEqual([]);
    expect(item(plan, 'sub/b.bin')?.bytesToWrite).toBe(300 * KiB);
    expect(plan.summary.create).toBe(plan.items.length);
    expect(plan.holds).toEqual([]);
    expect(diffSnapshots(before, targetNow()), 'diff wrote into the target').toEqual([]);

    const out = await syncYes();
    expect(out.result?.applied).toBeGreaterThanOrEqual(files.length);
    expect(out.result?.bytesWritten).toBe(300 * KiB + 6 + 5 + 5);
    expect(fs.statSync(path.join(sb.target, STATE_DIR)).isDirectory()).toBe(true);
    for (const d of ['empty-dir', 'nested/empty/folders'])
      expect(typeAt(sb.target, d), d).toBe('dir');
    await expectInSync();

    const again = await sync('--yes');
    expect(again.run.code, describeRun(again.run)).toBe(0);
    expect(again.out.plan.items).toEqual([]);
    expect(again.out.result).toBeNull();
  });

  it('updates changed files, and catches a rewrite that kept size and mtime (in place and by rename)', async () => {
    writeTree(sb.source, {
      'same.txt': file('A'.repeat(5000), { mtime: OLD }),
      'swap.txt': file('B'.repeat(5000), { mtime: OLD }),
      'grow.txt': file('x', { mtime: OLD }),
      'small.txt': file('old small content', { mtime: OLD }),
      'keep.txt': file('keep', { mtime: OLD }),
    });
    await syncYes();

    rewriteKeepingMtime(path.join(sb.source, 'same.txt'), Buffer.from('C'.repeat(5000)));
    const tmp = putFile(sb.source, 'swap.new', 'D'.repeat(5000));
    setMtime(tmp, OLD);
    fs.renameSync(tmp, path.join(sb.source, 'swap.txt'));
    fs.appendFileSync(path.join(sb.source, 'grow.txt'), 'yz');
    fs.writeFileSync(path.join(sb.source, 'small.txt'), 'new small content!!');

    const plan = await diffPending();
    expect(itemLines(plan)).toEqual([
      'grow.txt update',
      'same.txt update',
      'small.txt update',
      'swap.txt update',
    ]);

    await syncYes();
    await expectInSync();
    const kept = versionHashes();
    for (const old of ['A'.repeat(5000), 'B'.repeat(5000), 'old small content']) {
      expect(kept.has(sha256(old)), `version store lacks ${old.slice(0, 20)}`).toBe(true);
    }
  });

  it('copies two files of equal size and mtime each with its own bytes, and updates a target file that only looks equal', async () => {
    const one = seededBytes('one', 200 * KiB);
    writeTree(sb.source, {
      x: {
        'one.bin': file(one, { mtime: OLD }),
        'two.bin': file(seededBytes('two', 200 * KiB), { mtime: OLD }),
        'three.bin': file(one, { mtime: OLD }),
      },
    });
    const lookalike = seededBytes('lookalike', 200 * KiB);
    writeTree(sb.target, { x: { 'one.bin': file(lookalike, { mtime: OLD }) } });

    const plan = await diffPending();
    expect(item(plan, 'x/one.bin')).toMatchObject({ kind: 'update', conflict: 'targetUnknown' });
    expect(item(plan, 'x/two.bin')?.kind).toBe('create');
    expect(item(plan, 'x/three.bin')?.kind).toBe('create');

    await syncYes();
    await expectInSync();
    expect(
      versionHashes().has(sha256(lookalike)),
      'the replaced target file was not versioned',
    ).toBe(true);
  });

  it(
    'lists the changed chunks of a 64 MiB file (128 KiB chunks, 512 of them) and writes only their differing pages',
    { timeout: 180_000 },
    async () => {
      const CH = 128 * KiB;
      const big = path.join(sb.source, 'big.bin');
      writeSeededFile(big, 64 * MiB, 'big');
      writeTree(sb.source, { 'small.txt': 'small' });
      await syncYes();
      const inode = fs.statSync(path.join(sb.target, 'big.bin')).ino;

      const flip = (pos: number): void => {
        const b = Buffer.alloc(1);
        const fd = fs.openSync(big, 'r');
        fs.readSync(fd, b, 0, 1, pos);
        fs.closeSync(fd);
        patchFile(big, pos, Buffer.from([b[0]! ^ 0xff]));
      };
      flip(3 * CH + 17);
      patchFile(big, 11 * CH - 4, Buffer.from('8 bytes!')); // straddles chunks 10 and 11
      flip(201 * CH - 1); // the last byte of chunk 200
      flip(64 * MiB - 1); // the last byte of the file, chunk 511
      setMtime(big, OLD); // an old mtime: ids come from the index, not the 2-second rehash rule

      let plan = await diffPending();
      expect(itemLines(plan)).toEqual(['big.bin update']);
      expect(item(plan, 'big.bin')?.chunks).toEqual({
        chunkSize: CH,
        total: 512,
        changed: [3, 10, 11, 200, 511],
      });
      expect(item(plan, 'big.bin')?.bytesToWrite).toBe(5 * CH);

      // Both sides are local: inside each changed chunk only the 4 KiB pages that differ are
      // written (the 8-byte edit straddles two pages, in chunks 10 and 11).
      const PAGE = 4 * KiB;
      const pages = [3 * CH + 17, 11 * CH - 4, 11 * CH, 201 * CH - 1, 64 * MiB - 1].map(
        (pos) => Math.floor(pos / PAGE) * PAGE,
      );
      const readPage = (at: number): Buffer => {
        const b = Buffer.alloc(PAGE);
        const fd = fs.openSync(path.join(sb.target, 'big.bin'), 'r');
        fs.readSync(fd, b, 0, PAGE, at);
        fs.closeSync(fd);
        return b;
      };
      const replaced = pages.map(readPage);
      fs.copyFileSync(path.join(sb.target, 'big.bin'), path.join(sb.base, 'big.bin.before-patch'));
      let out = await syncYes();
      expect(out.result).toMatchObject({
        patchedInPlace: 1,
        renamedIntoPlace: 0,
        bytesWritten: pages.length * PAGE,
      });
      // The undo journal holds the replaced pages (and a header), then becomes their kept version.
      expect(out.result?.bytesJournaled).toBeGreaterThanOrEqual(pages.length * PAGE);
      expect(out.result?.bytesJournaled).toBeLessThan(pages.length * PAGE + 8 * KiB);
      const versions = versionFiles();
      replaced.forEach((page, k) => {
        expect(
          versions.some((v) => v.includes(page)),
          `the replaced page #${k + 1} is not in the version store`,
        ).toBe(true);
      });
      expect(
        fs.statSync(path.join(sb.target, 'big.bin')).ino,
        'patched in place keeps the inode',
      ).toBe(inode);
      await expectInSync();
      // The kept pages rebuild the file as it was, byte for byte (restored into the target; the
      // sync after it puts the new content back).
      const beforePatch = sha256File(path.join(sb.base, 'big.bin.before-patch'));
      const [kept] = listVersions(sb.target, 'big.bin');
      await restoreVersion({
        targetRoot: sb.target,
        rel: 'big.bin',
        run: kept!.run,
        stored: kept!.stored,
        scheme: 'xxh128',
      });
      expect(sha256File(path.join(sb.target, 'big.bin'))).toBe(beforePatch);
      await syncYes('--force');
      await expectInSync();

      fs.appendFileSync(big, seededBytes('tail', 300 * KiB));
      setMtime(big, new Date(OLD.getTime() + 60_000));
      plan = await diffPending();
      expect(item(plan, 'big.bin')?.chunks).toEqual({
        chunkSize: CH,
        total: 515,
        changed: [512, 513, 514],
      });
      out = await syncYes();
      expect(out.result?.failed).toEqual([]);
      await expectInSync();
    },
  );

  it('syncs names with spaces, newlines, leading dashes, emoji, quotes, and NFC and NFD forms as distinct names', async () => {
    const nfc = 'caf\u00e9';
    const nfd = 'cafe\u0301';
    const names = [
      'with space.txt',
      ' leading space',
      'trailing space ',
      'new\nline.txt',
      'tab\there',
      '-rf',
      '--yes',
      '-',
      '--',
      'emoji 😀🎉.txt',
      `quote'"\`$(echo x).txt`,
      'back\\slash',
      '*?[glob]',
      '.hidden',
      '...',
      'a'.repeat(255),
      '€'.repeat(85), // 255 bytes of UTF-8
      nfc,
      nfd,
      'CaseName',
      'casename',
      '日本語のファイル名.txt',
    ];
    const spec: Record<string, string> = {};
    for (const n of names) spec[n] = `content of ${JSON.stringify(n)}`;
    writeTree(sb.source, { ...spec, 'dir ☃ --x': { '-n\nested': 'inside', [nfd]: 'nfd inside' } });
    expect(fs.readdirSync(sb.source).filter((n) => n === nfc || n === nfd)).toHaveLength(2);

    const plan = await diffPending();
    expect(item(plan, 'new\nline.txt')?.kind).toBe('create');
    expect(item(plan, `dir ☃ --x/-n\nested`)?.kind).toBe('create');
    await syncYes();
    await expectInSync();
    const inTarget = fs.readdirSync(sb.target);
    expect(inTarget).toContain(nfc);
    expect(inTarget).toContain(nfd);

    fs.writeFileSync(path.join(sb.source, nfd), 'only the decomposed one changed');
    expect(itemLines(await diffPending())).toEqual([`${nfd} update`]);
    await syncYes();
    await expectInSync();
    expect(fs.readFileSync(path.join(sb.target, nfc), 'utf8')).toBe(
      `content of ${JSON.stringify(nfc)}`,
    );
  });

  it('treats a .tandem folder below the root as ordinary data', async () => {
    writeTree(sb.source, { sub: { [STATE_DIR]: { 'notes.txt': 'mine' } }, 'a.txt': 'a' });
    await syncYes();
    expect(fs.readFileSync(path.join(sb.target, 'sub', STATE_DIR, 'notes.txt'), 'utf8')).toBe(
      'mine',
    );
    await expectInSync();
  });

  it('syncs a tree 200 folders deep and then a change at its bottom', async () => {
    const rel = Array.from({ length: 200 }, () => 'd').join('/');
    putFile(sb.source, `${rel}/bottom.txt`, 'bottom');
    putFile(sb.source, 'd/d/d/three.txt', 'three');
    await syncYes();
    await expectInSync();

    fs.writeFileSync(path.join(sb.source, rel, 'bottom.txt'), 'changed at the bottom');
    expect(itemLines(await diffPending())).toEqual([`${rel}/bottom.txt update`]);
    await syncYes();
    await expectInSync();
  });

  it('syncs mode bits and mtimes of files; a mode-only or mtime-only change is a metadata item', async () => {
    const modes: Record<string, number> = {
      'private.txt': 0o600,
      'group.txt': 0o640,
      'script.sh': 0o755,
      'open.txt': 0o777,
      'readonly.txt': 0o444,
    };
    let n = 0;
    for (const [name, mode] of Object.entries(modes)) {
      writeTree(sb.source, {
        [name]: file(`${name}\n`, { mode, mtime: new Date(OLD.getTime() + 1000 * ++n + 250) }),
      });
    }
    await syncYes();
    for (const [name, mode] of Object.entries(modes)) {
      expect((fs.statSync(path.join(sb.target, name)).mode & 0o7777).toString(8), name).toBe(
        mode.toString(8),
      );
    }
    await expectInSync();

    fs.chmodSync(path.join(sb.source, 'private.txt'), 0o604);
    setMtime(path.join(sb.source, 'group.txt'), new Date('2010-01-01T00:00:00.000Z'));
    const plan = await diffPending();
    expect(itemLines(plan)).toEqual(['group.txt metadata', 'private.txt metadata']);
    for (const i of plan.items) expect(i.bytesToWrite, i.path).toBe(0);

    fs.writeFileSync(path.join(sb.source, 'readonly.txt'), 'a read-only file still gets updated\n');
    await syncYes();
    await expectInSync();
  });
});

describe('tandem sync and diff: deleting, conflicts and type changes', () => {
  it('deletes what the source deleted after a sync, as a plain delete, versioned first', async () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 6; i++) spec[`f${i}.txt`] = `file number ${i}`;
    writeTree(sb.source, spec);
    await syncYes();

    fs.rmSync(path.join(sb.source, 'f2.txt'));
    const plan = await diffPending();
    expect(itemLines(plan)).toEqual(['f2.txt delete']);
    expect(plan.holds).toEqual([]);

    await syncYes();
    expect(typeAt(sb.target, 'f2.txt')).toBe('absent');
    expect(versionHashes().has(sha256('file number 2')), 'the deleted file was not versioned').toBe(
      true,
    );
    await expectInSync();
  });

  it('shows a target-only file that was never in sync as a targetUnknown conflict; only --yes deletes it, versioned', async () => {
    const shared = { 'a.txt': 'a', 'b.txt': 'b', 'c.txt': 'c', 'd.txt': 'd' };
    writeTree(sb.source, shared);
    writeTree(sb.target, { ...shared, 'extra.txt': 'only on the target' });
    sameTimesOnBothSides(Object.keys(shared));

    const plan = await diffPending();
    expect(itemLines(plan)).toEqual(['extra.txt delete targetUnknown']);
    expect(plan.summary.conflicts).toBe(1);

    const before = targetNow();
    const { run } = await sync();
    expect(run.code, describeRun(run)).toBe(1);
    expectUnchanged(before, run);

    await syncYes();
    expect(typeAt(sb.target, 'extra.txt')).toBe('absent');
    expect(versionHashes().has(sha256('only on the target'))).toBe(true);
    await expectInSync();
  });

  it('shows target edits made after a sync as targetEdited conflicts, even one that kept size and mtime', async () => {
    writeTree(sb.source, {
      'edited.txt': file('original text', { mtime: OLD }),
      'sneaky.txt': file('original data', { mtime: OLD }),
      'other.txt': 'other',
      'more.txt': 'more',
    });
    await syncYes();

    fs.writeFileSync(path.join(sb.target, 'edited.txt'), 'edited on the target, longer');
    rewriteKeepingMtime(path.join(sb.target, 'sneaky.txt'), Buffer.from('tampered data'));
    putFile(sb.target, 'added.txt', 'added on the target');

    const plan = await diffPending();
    expect(itemLines(plan)).toEqual([
      'added.txt delete targetUnknown',
      'edited.txt update targetEdited',
      'sneaky.txt update targetEdited',
    ]);

    await syncYes();
    await expectInSync();
    const kept = versionHashes();
    for (const t of ['edited on the target, longer', 'tampered data', 'added on the target']) {
      expect(kept.has(sha256(t)), `version store lacks "${t}"`).toBe(true);
    }
  });

  it('replaces types file ↔ folder ↔ symlink and ends with the source’s types', async () => {
    const filler: Record<string, string> = {};
    for (let i = 0; i < 20; i++) filler[`filler-${String(i).padStart(2, '0')}.txt`] = `filler ${i}`;
    writeTree(sb.source, {
      ...filler,
      f2d: 'file to become a folder',
      d2f: { 'inner.txt': 'folder to become a file' },
      f2l: 'file to become a link',
      l2f: link('filler-01.txt'),
      d2l: { 'inner.txt': 'folder to become a link' },
      l2d: link('filler-02.txt'),
    });
    await syncYes();

    const s = (p: string): string => path.join(sb.source, p);
    fs.rmSync(s('f2d'));
    writeTree(s('f2d'), { 'child.txt': 'now a folder' });
    fs.rmSync(s('d2f'), { recursive: true });
    fs.writeFileSync(s('d2f'), 'now a file');
    fs.rmSync(s('f2l'));
    fs.symlinkSync('filler-03.txt', s('f2l'));
    fs.rmSync(s('l2f'));
    fs.writeFileSync(s('l2f'), 'now a file too');
    fs.rmSync(s('d2l'), { recursive: true });
    fs.symlinkSync('filler-04.txt', s('d2l'));
    fs.rmSync(s('l2d'));
    writeTree(s('l2d'), { 'child.txt': 'now a folder too' });

    const plan = await diffPending();
    const expected: Record<string, [EntryType, EntryType]> = {
      f2d: ['file', 'dir'],
      d2f: ['dir', 'file'],
      f2l: ['file', 'symlink'],
      l2f: ['symlink', 'file'],
      d2l: ['dir', 'symlink'],
      l2d: ['symlink', 'dir'],
    };
    for (const [p, [from, to]] of Object.entries(expected)) {
      const it = item(plan, p);
      expect(it, p).toMatchObject({
        kind: 'replaceType',
        source: { type: to },
        target: { type: from },
      });
      expect(it?.conflict, p).toBeUndefined();
    }
    expect(plan.holds).toEqual([]);

    await syncYes();
    for (const [p, [, to]] of Object.entries(expected)) expect(typeAt(sb.target, p), p).toBe(to);
    await expectInSync();
    const kept = versionHashes();
    for (const t of [
      'file to become a folder',
      'folder to become a file',
      'file to become a link',
      'folder to become a link',
    ]) {
      expect(kept.has(sha256(t)), `version store lacks "${t}"`).toBe(true);
    }
  });
});

describe('tandem sync and diff: symlinks and special files', () => {
  it('copies symlinks as links and never follows them: dangling, outside, loops, to the parent', async () => {
    writeTree(sb.outside, { 'secret.txt': 'outside the pair', inner: { 'x.txt': 'x' } });
    const outsideBefore = hashTree(sb.outside);
    writeTree(sb.source, {
      'file.txt': 'in the pair',
      'other.txt': 'other',
      sub: { 'y.txt': 'y' },
      dangling: link('does/not/exist'),
      'abs-out': link(path.join(sb.outside, 'secret.txt')),
      'rel-out': link('../outside'),
      up: link('..'),
      self: link('self'),
      loopA: link('loopB'),
      loopB: link('loopA'),
      inner: link('file.txt'),
      dirlink: link('sub'),
    });
    const links = [
      'dangling',
      'abs-out',
      'rel-out',
      'up',
      'self',
      'loopA',
      'loopB',
      'inner',
      'dirlink',
    ];

    const plan = await diffPending();
    for (const l of links)
      expect(item(plan, l), l).toMatchObject({ kind: 'create', source: { type: 'symlink' } });
    expect(item(plan, 'rel-out')?.source?.linkTarget).toBe('../outside');
    expect(
      plan.items.filter(
        (i) =>
          i.path.startsWith('rel-out/') ||
          i.path.startsWith('up/') ||
          i.path.startsWith('dirlink/'),
      ),
    ).toEqual([]);

    await syncYes();
    for (const l of links) {
      expect(typeAt(sb.target, l), l).toBe('symlink');
      expect(fs.readlinkSync(path.join(sb.target, l)), l).toBe(
        fs.readlinkSync(path.join(sb.source, l)),
      );
    }
    expect(
      diffSnapshots(outsideBefore, hashTree(sb.outside), { mode: true, mtime: true, inode: true }),
    ).toEqual([]);
    await expectInSync();

    fs.rmSync(path.join(sb.source, 'inner'));
    fs.symlinkSync('other.txt', path.join(sb.source, 'inner'));
    expect((await diffPending()).items.map((i) => i.path)).toEqual(['inner']);
    await syncYes();
    expect(fs.readlinkSync(path.join(sb.target, 'inner'))).toBe('other.txt');
    await expectInSync();
  });

  it('replaces a symlink in the way on the target instead of writing through it', async () => {
    writeTree(sb.outside, { 'victim.txt': 'must survive', dir: { 'keep.txt': 'keep' } });
    const outsideBefore = hashTree(sb.outside);
    writeTree(sb.source, {
      sub: { 'file.txt': 'source sub file' },
      'f.txt': 'source f',
      'g.txt': 'g',
      'h.txt': 'h',
    });
    writeTree(sb.target, {
      sub: link(path.join(sb.outside, 'dir')),
      'f.txt': link(path.join(sb.outside, 'victim.txt')),
      'g.txt': 'g',
      'h.txt': 'h',
    });

    const plan = await diffPending();
    expect(item(plan, 'sub')).toMatchObject({ kind: 'replaceType', conflict: 'targetUnknown' });
    expect(item(plan, 'f.txt')).toMatchObject({ kind: 'replaceType', conflict: 'targetUnknown' });

    await syncYes();
    expect(
      diffSnapshots(outsideBefore, hashTree(sb.outside), { mode: true, mtime: true, inode: true }),
    ).toEqual([]);
    expect(typeAt(sb.target, 'sub')).toBe('dir');
    expect(typeAt(sb.target, 'f.txt')).toBe('file');
    await expectInSync();
  });

  it('skips FIFOs and sockets with a reason, never hangs, and leaves the target entry at that path alone', async () => {
    writeTree(sb.source, { 'a.txt': 'a', 'b.txt': 'b' });
    mkfifo(path.join(sb.source, 'pipe'));
    const server = await listenUnixSocket(path.join(sb.source, 'sock'));
    try {
      writeTree(sb.target, {
        pipe: 'a target file where the source has a FIFO',
        'a.txt': 'a',
        'b.txt': 'b',
      });
      const { run, out } = await sync('--yes');
      expect(run.timedOut, 'the run hung').toBe(false);
      expect([0, 1], describeRun(run)).toContain(run.code);
      for (const p of ['pipe', 'sock']) {
        const skip = out.plan.skipped.find((s) => s.path === p);
        expect(skip, `${p} is not listed as skipped`).toMatchObject({
          side: 'source',
          unknown: false,
        });
        expect(skip?.reason.length, p).toBeGreaterThan(0);
        expect(item(out.plan, p), `${p} is planned`).toBeUndefined();
      }
      expect(fs.readFileSync(path.join(sb.target, 'pipe'), 'utf8')).toBe(
        'a target file where the source has a FIFO',
      );
      expect(typeAt(sb.target, 'sock')).toBe('absent');
    } finally {
      server.close();
    }
  });
});

describe('tandem sync: options, approval, dry runs and hash schemes', () => {
  it('writes nothing with --dry-run: exit 1 while differences remain, 0 once in sync', async () => {
    writeTree(sb.source, { 'a.txt': 'new a', 'b.txt': 'b', sub: { 'c.txt': 'c' } });
    writeTree(sb.target, {
      'a.txt': 'old a',
      'b.txt': 'b',
      sub: { 'c.txt': 'c' },
      'zzz.txt': 'target only',
    });
    sameTimesOnBothSides(['a.txt', 'b.txt', 'sub/c.txt', 'sub']);
    const before = targetNow();
    const { run, out } = await sync('--dry-run', '--yes');
    expect(run.code, describeRun(run)).toBe(1);
    expect(out.result).toBeNull();
    expect(itemLines(out.plan)).toEqual([
      'a.txt update targetUnknown',
      'zzz.txt delete targetUnknown',
    ]);
    expectUnchanged(before, run);
    expect(
      fs.existsSync(path.join(sb.target, STATE_DIR, 'versions')),
      'a dry run made a version store',
    ).toBe(false);

    await syncYes();
    const dry = await sync('--dry-run');
    expect(dry.run.code, describeRun(dry.run)).toBe(0);
    expect(dry.out.plan.items).toEqual([]);
  });

  it('without a terminal and without --yes prints the plan, exits 1 and writes nothing', async () => {
    writeTree(sb.source, { 'visible-name.txt': 'x', 'same.txt': 'same', 'same2.txt': 'same2' });
    writeTree(sb.target, {
      'old.txt': 'old',
      'visible-name.txt': 'y',
      'same.txt': 'same',
      'same2.txt': 'same2',
    });
    sameTimesOnBothSides(['same.txt', 'same2.txt', 'visible-name.txt']);
    const before = targetNow();
    const run = await cli('sync', sb.source, sb.target);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stdout + run.stderr).toContain('visible-name.txt');
    expectUnchanged(before, run);

    const { run: jsonRun, out } = await sync();
    expect(jsonRun.code, describeRun(jsonRun)).toBe(1);
    expect(out.result).toBeNull();
    expect(out.plan.items.map((i) => i.path).sort()).toEqual(['old.txt', 'visible-name.txt']);
    expectUnchanged(before, jsonRun);
  });

  it('accepts options before the folders and relative folder paths', async () => {
    writeTree(sb.source, { 'a.txt': 'a', sub: { 'b.txt': 'b' } });
    const d = await cli('diff', '--json', 'source', 'target');
    expect(d.code, describeRun(d)).toBe(1);
    expect(parseJsonOutput<Plan>(d).items.length).toBeGreaterThanOrEqual(2);

    const s = await cli('sync', '--yes', '--hash', 'blake3', '--json', 'source', 'target');
    expect(s.code, describeRun(s)).toBe(0);
    expect(parseJsonOutput<SyncOutput>(s).plan.scheme).toBe('blake3');
    await expectInSync();
  });

  it.each([
    ['xxh128', 32],
    ['blake3', 64],
    ['sha256', 64],
    ['xxh3+blake3', 80],
  ])(
    'syncs with --hash %s (ids of %i hex digits) and then reports in sync',
    async (scheme, hexDigits) => {
      writeTree(sb.source, {
        'a.txt': 'a',
        sub: { 'b.bin': seededBytes('b', 400 * KiB) },
        l: link('a.txt'),
      });
      const out = await syncYes('--hash', scheme);
      expect(out.plan.scheme).toBe(scheme);
      expect(out.plan.sourceRootId).toMatch(new RegExp(`^[0-9a-f]{${hexDigits}}$`));
      expect(item(out.plan, 'sub/b.bin')?.source?.id).toMatch(
        new RegExp(`^[0-9a-f]{${hexDigits}}$`),
      );
      await expectInSync();

      fs.writeFileSync(path.join(sb.source, 'a.txt'), 'A');
      const again = await syncYes('--hash', scheme);
      expect(itemLines(again.plan)).toEqual(['a.txt update']);
      await expectInSync();
    },
  );
});

describe('tandem refusals (exit 2, one line on stderr, nothing written)', () => {
  type Setup = () => string[];
  const cases: [string, Setup][] = [
    ['a missing source', () => ['sync', path.join(sb.base, 'no-such-folder'), sb.target, '--yes']],
    [
      'a source that is a file',
      () => ['sync', putFile(sb.base, 'plain-file', 'x'), sb.target, '--yes'],
    ],
    ['a target inside the source', () => ['sync', sb.source, path.join(sb.source, 'sub'), '--yes']],
    ['a target inside the source (diff)', () => ['diff', sb.source, path.join(sb.source, 'sub')]],
    [
      'a source inside the target',
      () => ['sync', path.join(sb.target, 'inner'), sb.target, '--yes'],
    ],
    ['the same folder twice', () => ['sync', sb.source, sb.source, '--yes']],
    ['the same folder twice (diff)', () => ['diff', sb.source, `${sb.source}/.`]],
    [
      'the same folder twice through a symlink',
      () => {
        fs.symlinkSync(sb.target, path.join(sb.base, 'alias'));
        return ['sync', path.join(sb.base, 'alias'), sb.target, '--yes'];
      },
    ],
    ['an unknown hash scheme', () => ['sync', sb.source, sb.target, '--yes', '--hash', 'md5']],
    [
      'a combined scheme with an unknown function',
      () => ['sync', sb.source, sb.target, '--yes', '--hash', 'xxh3+md5'],
    ],
    ['a --hash without a value', () => ['sync', sb.source, sb.target, '--yes', '--hash']],
    ['an unknown option', () => ['sync', sb.source, sb.target, '--yes', '--frobnicate']],
    ['an unknown option (diff)', () => ['diff', '--frobnicate', sb.source, sb.target]],
    ['a missing target argument', () => ['sync', sb.source, '--yes']],
    [
      'an extra argument',
      () => ['sync', sb.source, sb.target, path.join(sb.base, 'third'), '--yes'],
    ],
    ['an unknown command', () => ['synchronise', sb.source, sb.target]],
    ['a target on another machine', () => ['sync', sb.source, 'nas:/backup/photos', '--yes']],
    ['a source given as an ssh:// address', () => ['diff', 'ssh://me@nas:2222/photos', sb.target]],
  ];

  it.each(cases)('refuses %s', async (_name, setup) => {
    writeTree(sb.source, { 'a.txt': 'a', sub: { 'b.txt': 'b' } });
    writeTree(sb.target, { 'old.txt': 'old', inner: { 'c.txt': 'c' } });
    const args = setup();
    const sourceBefore = hashTree(sb.source, { includeStateDir: true });
    const targetBefore = hashTree(sb.target, { includeStateDir: true });
    const run = await runCli(args, { home: sb.home, cwd: sb.base, timeoutMs: 30_000 });
    expect(run.code, describeRun(run)).toBe(2);
    expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
    const after = {
      source: hashTree(sb.source, { includeStateDir: true }),
      target: hashTree(sb.target, { includeStateDir: true }),
    };
    expect(
      diffSnapshots(sourceBefore, after.source, { mode: true, mtime: true, inode: true }),
      describeRun(run),
    ).toEqual([]);
    expect(
      diffSnapshots(targetBefore, after.target, { mode: true, mtime: true, inode: true }),
      describeRun(run),
    ).toEqual([]);
  });

  it('says a far folder it cannot reach in one line, and takes an existing local folder with a colon as local', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    // A remote source is reached with ssh: one it cannot reach is said in one line, and the
    // local target is left as it was (no .tandem made).
    const before = hashTree(sb.target, { includeStateDir: true });
    const remote = await cli(
      'sync',
      'nas.invalid:/photos',
      sb.target,
      '--yes',
      '-e',
      'ssh -o BatchMode=yes -o ConnectTimeout=5',
    );
    expect(remote.code, describeRun(remote)).toBe(2);
    expect(oneLineErrorProblems(remote.stderr), describeRun(remote)).toEqual([]);
    expect(remote.stderr).toMatch(/^tandem: .*cannot reach nas\.invalid over ssh/);
    expect(diffSnapshots(before, hashTree(sb.target, { includeStateDir: true }))).toEqual([]);
    // So is a remote target.
    const unreachable = await cli(
      'sync',
      sb.source,
      'nas.invalid:/backup',
      '--yes',
      '-e',
      'ssh -o BatchMode=yes -o ConnectTimeout=5',
    );
    expect(unreachable.code, describeRun(unreachable)).toBe(2);
    expect(unreachable.stderr).toMatch(/^tandem: .*cannot reach nas\.invalid over ssh/);
    fs.mkdirSync(path.join(sb.base, 'odd:name'));
    const local = await runCli(['sync', sb.source, 'odd:name', '--yes'], {
      home: sb.home,
      cwd: sb.base,
      timeoutMs: 30_000,
    });
    expect(local.code, describeRun(local)).toBe(0);
    expect(fs.readFileSync(path.join(sb.base, 'odd:name', 'a.txt'), 'utf8')).toBe('a');
  });

  it('refuses an unreadable source', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    writeTree(sb.target, { 'old.txt': 'old' });
    honourPermissions = true;
    fs.chmodSync(sb.source, 0o000);
    const before = hashTree(sb.target, { includeStateDir: true });
    const run = await cli('sync', sb.source, sb.target, '--yes');
    fs.chmodSync(sb.source, 0o755);
    expect(run.code, describeRun(run)).toBe(2);
    expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
    expect(
      diffSnapshots(before, hashTree(sb.target, { includeStateDir: true }), { inode: true }),
      describeRun(run),
    ).toEqual([]);
  });
});

describe('tandem holds (exit 1, nothing applied until --yes --force)', () => {
  it('holds an emptied source, also against --yes, until --yes --force', async () => {
    writeTree(sb.source, {
      'a.txt': 'content a',
      'b.txt': 'content b',
      sub: { 'c.txt': 'content c' },
    });
    await syncYes();
    for (const n of fs.readdirSync(sb.source))
      fs.rmSync(path.join(sb.source, n), { recursive: true });

    const before = targetNow();
    for (const opts of [['--yes'], ['--force'], []]) {
      const { run, out } = await sync(...opts);
      expect(run.code, describeRun(run)).toBe(1);
      expect(
        out.plan.holds.map((h) => h.reason),
        describeRun(run),
      ).toContain('sourceEmpty');
      expect(out.result).toBeNull();
      expectUnchanged(before, run);
      expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
    }
    const d = await diff();
    expect(d.run.code).toBe(1);
    expect(d.plan.holds.map((h) => h.reason)).toContain('sourceEmpty');
    for (const h of d.plan.holds) expect(h.message.length).toBeGreaterThan(0);

    const forced = await syncYes('--force');
    expect(forced.result?.applied).toBeGreaterThan(0);
    expect(fs.readdirSync(sb.target)).toEqual([STATE_DIR]);
    const kept = versionHashes();
    for (const t of ['content a', 'content b', 'content c'])
      expect(kept.has(sha256(t)), t).toBe(true);
    await expectInSync();
  });

  it('holds a first sync from an empty source into a folder with data', async () => {
    writeTree(sb.target, { 'precious.txt': 'never synced' });
    const before = targetNow();
    const { run, out } = await sync('--yes');
    expect(run.code, describeRun(run)).toBe(1);
    expect(out.plan.holds.map((h) => h.reason)).toContain('sourceEmpty');
    expectUnchanged(before, run);
    expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
  });

  it('holds a plan that deletes more than half of the target (above 20 entries), but not one that deletes less', async () => {
    const spec: Record<string, string> = {};
    for (let i = 0; i < 50; i++) spec[`f${i}.txt`] = `file ${i}`;
    writeTree(sb.source, spec);
    await syncYes();

    for (let i = 0; i < 20; i++) fs.rmSync(path.join(sb.source, `f${i}.txt`));
    const few = await syncYes();
    expect(few.plan.holds).toEqual([]);
    expect(few.plan.summary.delete).toBe(20);

    for (let i = 20; i < 48; i++) fs.rmSync(path.join(sb.source, `f${i}.txt`)); // 28 of the 30 left
    const before = targetNow();
    const { run, out } = await sync('--yes');
    expect(run.code, describeRun(run)).toBe(1);
    expect(out.plan.holds.map((h) => h.reason)).toContain('massDelete');
    expect(out.result).toBeNull();
    expectUnchanged(before, run);
    expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);

    await syncYes('--force');
    expect(fs.readdirSync(sb.target).sort()).toEqual([STATE_DIR, 'f48.txt', 'f49.txt']);
    await expectInSync();
  });
});

describe('tandem with unreadable entries and concurrent runs', () => {
  it('treats unreadable source entries as unknown: nothing at or below them on the target is touched, exit 1', async () => {
    writeTree(sb.source, {
      'a.txt': 'a',
      'secret.txt': 'secret v1',
      locked: { 'child.txt': 'child v1', deeper: { 'g.txt': 'g' } },
      'z.txt': 'z',
    });
    honourPermissions = true;
    await syncYes();

    fs.writeFileSync(path.join(sb.source, 'secret.txt'), 'secret v2');
    fs.chmodSync(path.join(sb.source, 'secret.txt'), 0o000);
    fs.chmodSync(path.join(sb.source, 'locked'), 0o000);
    try {
      const { run, out } = await sync('--yes');
      expect(run.code, describeRun(run)).toBe(1);
      const unknown = out.plan.skipped.filter((s) => s.unknown).map((s) => s.path);
      expect(unknown).toContain('secret.txt');
      expect(unknown).toContain('locked');
      expect(
        out.plan.items.filter(
          (i) =>
            i.path === 'locked' ||
            i.path.startsWith('locked/') ||
            (i.path === 'secret.txt' && i.kind !== 'metadata'),
        ),
      ).toEqual([]);
      expect(fs.readFileSync(path.join(sb.target, 'secret.txt'), 'utf8')).toBe('secret v1');
      expect(fs.readFileSync(path.join(sb.target, 'locked/child.txt'), 'utf8')).toBe('child v1');
      expect(fs.readFileSync(path.join(sb.target, 'locked/deeper/g.txt'), 'utf8')).toBe('g');
    } finally {
      fs.chmodSync(path.join(sb.source, 'locked'), 0o755);
      fs.chmodSync(path.join(sb.source, 'secret.txt'), 0o644);
    }
    await syncYes();
    await expectInSync();
  });

  it(
    'lets a second sync of a busy pair wait or exit 2 with "pair busy", and the pair ends in sync',
    { timeout: 180_000 },
    async () => {
      writeSeededFile(path.join(sb.source, 'big.bin'), 128 * MiB, 'busy');
      writeTree(sb.source, { 'a.txt': 'a' });
      const args = ['sync', sb.source, sb.target, '--yes'];
      const first = waitForCli(spawnCli(args, { home: sb.home }), args, 120_000);
      const second = waitForCli(spawnCli(args, { home: sb.home }), args, 120_000);
      const runs = await Promise.all([first, second]);
      const codes = runs.map((r) => r.code).sort();
      expect(
        [
          [0, 0],
          [0, 2],
        ],
        runs.map(describeRun).join('\n'),
      ).toContainEqual(codes);
      for (const r of runs) {
        if (r.code !== 2) continue;
        expect(r.stderr, describeRun(r)).toMatch(/pair busy \(pid \d+/);
        expect(oneLineErrorProblems(r.stderr), describeRun(r)).toEqual([]);
      }
      await expectInSync();
    },
  );
});
