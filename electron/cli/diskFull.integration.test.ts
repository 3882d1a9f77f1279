// Disk full on a real filesystem (DESIGN.md "Disk full, long names"; issue 9, hole 6). The target
// lives on a 16 MiB tmpfs of the test's own, a filler file leaves about 4.5 MiB free, and a sync
// that replaces four 1 MiB files and adds six more runs out of space part way through its apply.
//
// How the disk fills during the apply, deterministically: the plan needs more than is free, so it
// is held ("not enough space", checked first), and `--force` overrides the hold, as a person who
// knows better would. (Free space that looks sufficient at plan time and shrinks during the apply
// would need another writer racing the apply inside one CLI run; the held-then-forced plan reaches
// the same ENOSPC paths with no race.) Then, as the issue asks: a clear one-line message, exit 1,
// no torn file, the complete staged files that fit kept, versions intact, and a rerun after
// freeing space converges.
//
// Three of these failed on 9cfc657, before the apply's ENOSPC handling was mended (1124427):
//   - "exits 1 with one line on stderr that says the disk is full": stderr said "2 items not
//     applied (listed above)"; the disk-full sentence went to stdout;
//   - "counts the items it did not apply as it lists them": 1 listed, "2 items not applied"
//     (the stop message was counted as an item);
//   - "keeps the staged files that fit": the four complete staged files were discarded.
// Needs root and permission to mount (CI runs as root); skipped with the reason otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cliMissingReason,
  describeRun,
  oneLineErrorProblems,
  runCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { seededBytes } from '../testing/rng.js';
import { makeSandbox, STATE_DIR, type Sandbox } from '../testing/sandbox.js';
import {
  freeBytes,
  mountTmpfs,
  mountUnavailableReason,
  unmount,
} from '../testing/smallFilesystem.js';
import { diffSnapshots, diffTrees, hashTree, sha256 } from '../testing/treeSnapshot.js';

const MiB = 1024 * 1024;
const DISK = 16 * MiB;
/** What the filler leaves free: room for four 1 MiB temp files, not five. */
const LEFT_FREE = 4.5 * MiB;
const REPLACED = ['a-0.bin', 'a-1.bin', 'a-2.bin', 'a-3.bin'];
const ADDED = ['n-0.bin', 'n-1.bin', 'n-2.bin', 'n-3.bin', 'n-4.bin', 'n-5.bin'];
const OLD_MTIME = new Date('2001-02-03T04:05:06.000Z');

const unavailable = mountUnavailableReason();

let sb: Sandbox;
let disk: string;
let target: string;
let filler: string;
/** sha256 of what the target held for each replaced file before the forced sync */
const oldSha = new Map<string, string>();
/** sha256 of what the source holds now */
const newSha = new Map<string, string>();

function cli(...args: string[]): Promise<CliRun> {
  return runCli(args, { home: sb.home, cwd: sb.base, timeoutMs: 120_000 });
}

function putSource(rel: string, data: Buffer): void {
  const p = path.join(sb.source, rel);
  fs.writeFileSync(p, data);
  fs.utimesSync(p, OLD_MTIME, OLD_MTIME);
  newSha.set(rel, sha256(data));
}

function targetSha(rel: string): string | null {
  try {
    return sha256(fs.readFileSync(path.join(target, rel)));
  } catch {
    return null;
  }
}

/** Every record of the version store: its path and the sha256 of the kept file (null: missing). */
function versionRecords(): { path: string; sha: string | null }[] {
  const dir = path.join(target, STATE_DIR, 'versions');
  if (!fs.existsSync(dir)) return [];
  const out: { path: string; sha: string | null }[] = [];
  for (const run of fs.readdirSync(dir)) {
    const manifest = path.join(dir, run, 'manifest.jsonl');
    if (!fs.existsSync(manifest)) continue;
    for (const line of fs.readFileSync(manifest, 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { path: string; stored: string };
      const stored = path.join(dir, run, r.stored);
      out.push({
        path: r.path,
        sha: fs.existsSync(stored) ? sha256(fs.readFileSync(stored)) : null,
      });
    }
  }
  return out;
}

describe.skipIf(unavailable !== null)(
  `tandem sync into a target disk that fills up${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  () => {
    beforeAll(async () => {
      const missing = cliMissingReason();
      if (missing) throw new Error(`the CLI is not built (${missing})`);
      sb = makeSandbox('disk-full');
      disk = path.join(sb.base, 'disk');
      mountTmpfs(disk, DISK);
      target = path.join(disk, 'target');
      filler = path.join(disk, 'filler.bin');
      for (const rel of REPLACED) putSource(rel, seededBytes(`old/${rel}`, MiB));
      putSource('keep.txt', Buffer.from('a small file nothing changes'));
      // The first sync fits, but the free-space check (which keeps a margin) holds it: --force.
      const first = await cli('sync', sb.source, target, '--yes', '--force');
      expect(first.code, describeRun(first)).toBe(0);
      expect(diffTrees(sb.source, target)).toEqual([]);
      for (const rel of REPLACED) oldSha.set(rel, targetSha(rel)!);

      fs.writeFileSync(filler, Buffer.alloc(freeBytes(disk) - LEFT_FREE, 1));
      for (const rel of REPLACED) putSource(rel, seededBytes(`new/${rel}`, MiB));
      for (const rel of ADDED) putSource(rel, seededBytes(`new/${rel}`, MiB));
    }, 120_000);

    afterAll(() => {
      // Unmount even when a test failed, before the sandbox (which holds the mount point) goes.
      try {
        if (disk) unmount(disk);
      } finally {
        sb?.cleanup();
      }
    });

    it('holds the plan without --force (not enough space), writing nothing', async () => {
      const before = hashTree(target);
      const run = await cli('sync', sb.source, target, '--yes');
      expect(run.code, describeRun(run)).toBe(1);
      expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
      expect(run.stderr, describeRun(run)).toMatch(/space/i);
      expect(
        diffSnapshots(before, hashTree(target), { mode: true, mtime: true, inode: true }),
      ).toEqual([]);
    });

    describe('sync --yes --force runs out of space during its apply', () => {
      let run: CliRun;
      let freeBefore = 0;
      let sourceBefore: ReturnType<typeof hashTree>;

      beforeAll(async () => {
        sourceBefore = hashTree(sb.source);
        freeBefore = freeBytes(disk);
        run = await cli('sync', sb.source, target, '--yes', '--force');
      }, 120_000);

      it('exits 1 with one line on stderr that says the disk is full', () => {
        expect(run.code, describeRun(run)).toBe(1);
        expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
        expect(run.stderr, describeRun(run)).toMatch(
          /disk is full|disk full|no space|out of space/i,
        );
      });

      it('counts the items it did not apply as it lists them', () => {
        const listed = `${run.stdout}\n${run.stderr}`
          .split('\n')
          .filter((l) => /^failed: /.test(l.trim())).length;
        const counts = [
          ...`${run.stdout}\n${run.stderr}`.matchAll(/(\d+) (?:items? )?(?:not applied|failed)\b/g),
        ].map((m) => Number(m[1]));
        expect(listed, describeRun(run)).toBeGreaterThan(0);
        expect(counts, describeRun(run)).not.toEqual([]);
        for (const n of counts) expect(n, describeRun(run)).toBe(listed);
      });

      it('leaves no torn file and no temp file, and the source untouched', () => {
        const allowed = (rel: string): (string | null | undefined)[] =>
          REPLACED.includes(rel)
            ? [oldSha.get(rel), newSha.get(rel)]
            : ADDED.includes(rel)
              ? [null, newSha.get(rel)]
              : [newSha.get(rel)];
        for (const rel of [...REPLACED, ...ADDED, 'keep.txt'])
          expect(allowed(rel), `${rel} is neither old nor new\n${describeRun(run)}`).toContain(
            targetSha(rel),
          );
        const tmp = path.join(target, STATE_DIR, 'tmp');
        expect(fs.existsSync(tmp) ? fs.readdirSync(tmp) : [], 'temp files left').toEqual([]);
        expect(
          diffSnapshots(sourceBefore, hashTree(sb.source), {
            mode: true,
            mtime: true,
            inode: true,
          }),
        ).toEqual([]);
      });

      it('keeps the staged files that fit (renamed into place, not discarded)', () => {
        // About 4.5 MiB were free: four 1 MiB files fit; one of slack for the store's own writes.
        const fit = Math.floor(freeBefore / MiB) - 1;
        const landed = [...REPLACED, ...ADDED].filter((rel) => targetSha(rel) === newSha.get(rel));
        expect(
          landed.length,
          `landed: ${landed.join(', ')}\n${describeRun(run)}`,
        ).toBeGreaterThanOrEqual(fit);
      });

      it('keeps what it replaced in the version store, restorable', () => {
        const records = versionRecords();
        for (const rel of REPLACED) {
          if (targetSha(rel) === oldSha.get(rel)) continue; // not replaced: the old file is there
          expect(
            records.filter((r) => r.path === rel).map((r) => r.sha),
            `${rel} was replaced; its old content must be kept`,
          ).toContain(oldSha.get(rel));
        }
        expect(
          records.filter((r) => r.sha === null),
          'records whose file is missing',
        ).toEqual([]);
      });
    });

    it('converges on a rerun once space is freed', async () => {
      fs.rmSync(filler);
      const run = await cli('sync', sb.source, target, '--yes', '--force');
      expect(run.code, describeRun(run)).toBe(0);
      expect(diffTrees(sb.source, target, { mode: true, mtime: true })).toEqual([]);
      const kept = versionRecords();
      for (const rel of REPLACED)
        expect(
          kept.filter((r) => r.path === rel).map((r) => r.sha),
          `${rel}: its old content in the version store`,
        ).toContain(oldSha.get(rel));
      const d = await cli('diff', sb.source, target);
      expect(d.code, describeRun(d)).toBe(0);
    });
  },
);
