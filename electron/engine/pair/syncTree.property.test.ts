// Property: whatever the two trees hold, one sync makes the target equal the source. Random source
// and target trees (fast-check) with odd names, symlinks of every kind (dangling ones too), hard-
// link groups, sparse files, user.* attributes, type flips, renames, target-only entries and FIFOs
// and sockets on the target are synced in-process through SyncSession (scan, plan, apply every
// item, holds overridden as --yes --force would), each pair with or without -H and -X, then
// checked by an independent listing (electron/testing/treeSnapshot: lstat, readdir, readlink,
// sha256, the xattr addon, none of the engine's code):
//   - the target equals the source: type, bytes, link text, mode, mtime; with -X attributes, with
//     -H the grouping of names by inode; a sparse file it wrote keeps its holes;
//   - the source is untouched: every entry's bytes, mode, mtime, ctime and inode;
//   - nothing the target held is lost: each file's bytes and each link's text is still in the
//     target or in its version store;
//   - no item failed, nothing was skipped, no temp file is left;
//   - a second sync (a fresh session) plans nothing and finds equal root ids.
// Half the cases then edit both sides in place (renames, rewrites that put the mtime back, type
// flips, target edits) and sync again, so the index's stat trust, baselines and moves are tried.
// TANDEM_PROPERTY_RUNS (default 1000), TANDEM_PROPERTY_SEED and TANDEM_PROPERTY_PATH (to replay
// a failure: both are printed with it) tune it. Names include ones that are not valid UTF-8.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolvePair } from './pair.js';
import { SyncSession } from './syncSession.js';
import {
  applyEdits,
  cloneModel,
  renderTree,
  show,
  specialsIn,
  treeArbitraries,
  writeRoot,
  type DirModel,
  type Edit,
  type SpecialKind,
  type TreeModel,
  type WriteOptions,
} from '../../testing/randomTree.js';
import { makeUnixSocket, removeTree, STATE_DIR } from '../../testing/sandbox.js';
import {
  diffSnapshots,
  hardLinkGroups,
  hashTree,
  type TreeSnapshot,
} from '../../testing/treeSnapshot.js';
import { userXattrsSupported } from '../../testing/xattrs.js';
import { propertyRun } from '../../testing/property.js';

// The target is listed in this thread, not a worker per plan (testing/walkInThread.ts). Every
// other sync test lists through the worker.
vi.mock('../core/scan/walkInWorker.js', () => import('../../testing/walkInThread.js'));

const PROPERTY = propertyRun(1000);
const { runs: RUNS, seed: SEED } = PROPERTY;

/** Whether the temp folder holds user.* attributes (tmpfs before Linux 6.6 does not). */
const XATTRS = userXattrsSupported(os.tmpdir());

/** The pair's settings: -H, and -X where the filesystem holds attributes. */
interface PairOptions {
  hardLinks: boolean;
  xattrs: boolean;
}

interface Case {
  options: PairOptions;
  source: DirModel;
  /** further names for the source's files: its hard-link groups */
  sourceLinks: Edit[];
  /** the target starts as the source with these edits (Tandem has never seen it) */
  targetEdits: Edit[];
  /** after the first sync: edits to each side on disk, then a second sync */
  later: { source: Edit[]; target: Edit[] } | null;
}

const arbs = treeArbitraries({ sparse: true, xattrs: XATTRS });

const caseArb: fc.Arbitrary<Case> = fc.record({
  options: fc.record({
    hardLinks: fc.boolean(),
    xattrs: XATTRS ? fc.boolean() : fc.constant(false),
  }),
  source: arbs.root(5),
  sourceLinks: fc.array(arbs.hardlink, { maxLength: 3 }),
  targetEdits: fc.array(arbs.targetEdit, { maxLength: 5 }),
  later: fc.option(
    fc.record({
      source: fc.array(arbs.edit, { minLength: 1, maxLength: 5 }),
      target: fc.array(arbs.targetEdit, { maxLength: 2 }),
    }),
    { freq: 2 },
  ),
});

/**
 * FIFOs and sockets made ahead of the writes that need them (making a socket means listening
 * on it, which is asynchronous, and a write of a model is not), then renamed into place.
 */
class SpecialStock {
  private readonly made: Record<SpecialKind, string[]> = { fifo: [], socket: [] };
  private serial = 0;
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }
  async fill(want: Record<SpecialKind, number>): Promise<void> {
    const fifos: string[] = [];
    while (this.made.fifo.length + fifos.length < want.fifo)
      fifos.push(path.join(this.dir, `fifo-${++this.serial}`));
    if (fifos.length) execFileSync('mkfifo', fifos);
    this.made.fifo.push(...fifos);
    while (this.made.socket.length < want.socket) {
      const p = path.join(this.dir, `socket-${++this.serial}`);
      await makeUnixSocket(p);
      this.made.socket.push(p);
    }
  }
  readonly take = (p: string | Buffer, kind: SpecialKind): void => {
    const from = this.made[kind].pop();
    if (!from) throw new Error(`no ${kind} was made ahead for ${p.toString()}`);
    fs.renameSync(from, p);
  };
}

/** FIFOs and sockets that `edits` add. */
function specialsAddedBy(edits: readonly Edit[]): Record<SpecialKind, number> {
  const n = { fifo: 0, socket: 0 };
  for (const e of edits) if (e.op === 'special') n[e.kind]++;
  return n;
}

let base: string;
let home: string;
let stock: SpecialStock;
let caseNo = 0;
/** What the first plans of the run held, by item kind (and conflicts): printed at the end. */
const seen = new Map<string, number>();
const tally = (k: string): void => void seen.set(k, (seen.get(k) ?? 0) + 1);

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-property-'));
  home = path.join(base, 'home');
  fs.mkdirSync(home);
  stock = new SpecialStock(path.join(base, 'stock'));
});
afterAll(() => {
  if (base) removeTree(base);
});

/** Where the target differs from the source, one line each. */
function differences(src: TreeSnapshot, tgt: TreeSnapshot, options: PairOptions): string[] {
  const out: string[] = [];
  for (const p of [...new Set([...src.keys(), ...tgt.keys()])].sort()) {
    if (p === '') continue; // the roots' own modes and times are the user's, not synced
    const s = src.get(p);
    const t = tgt.get(p);
    const shown = JSON.stringify(p);
    if (!s || !t || s.kind !== t.kind) {
      out.push(
        `${shown}: ${s?.kind ?? 'absent'} in the source, ${t?.kind ?? 'absent'} in the target`,
      );
      continue;
    }
    if (s.kind === 'file' && s.sha256 !== t.sha256)
      out.push(`${shown}: bytes differ (${s.size} B vs ${t.size} B)`);
    if (s.kind === 'symlink' && s.linkTarget !== t.linkTarget)
      out.push(
        `${shown}: links to ${JSON.stringify(s.linkTarget)} vs ${JSON.stringify(t.linkTarget)}`,
      );
    if (s.kind !== 'symlink' && s.mode !== t.mode)
      out.push(`${shown}: mode ${s.mode.toString(8)} vs ${t.mode.toString(8)}`);
    // The same millisecond (the granularity probed on ext4 and tmpfs), as the engine compares
    // them; folders' and links' times too (hole 7 of issue 9).
    if (Math.floor(s.mtimeMs) !== Math.floor(t.mtimeMs))
      out.push(`${shown}: mtime ${s.mtimeMs} vs ${t.mtimeMs}`);
    if (options.xattrs && s.xattrs !== t.xattrs)
      out.push(`${shown}: attributes {${s.xattrs}} vs {${t.xattrs}}`);
  }
  if (options.hardLinks) {
    const groups = (g: string[][]) => JSON.stringify(g.map((names) => names.join(' = ')));
    const [s, t] = [groups(hardLinkGroups(src)), groups(hardLinkGroups(tgt))];
    if (s !== t) out.push(`hard-link groups ${s} in the source, ${t} in the target`);
  }
  return out;
}

/** Slack for the filesystem's own blocks when a copy of a sparse file is checked for holes. */
const SPARSE_SLACK = 64 * 1024;

/** File bytes (by sha256) and link texts that `snap` holds. */
function contents(snap: TreeSnapshot): Set<string> {
  const out = new Set<string>();
  for (const [p, e] of snap) {
    if (p === '') continue;
    if (e.kind === 'file') out.add(`file ${e.sha256}`);
    if (e.kind === 'symlink') out.add(`link ${e.linkTarget}`);
  }
  return out;
}

/** One sync as `tandem sync --yes --force` would run it, and every check after it. */
async function syncAndCheck(
  source: string,
  target: string,
  label: string,
  options: PairOptions,
): Promise<string[]> {
  const problems: string[] = [];
  const snap = (root: string) => hashTree(root, { xattrs: options.xattrs });
  const srcBefore = snap(source);
  const tgtBefore = snap(target);
  const s = await SyncSession.open(resolvePair(source, target), {
    write: true,
    home,
    threads: 0,
    hardLinks: options.hardLinks,
    xattrs: { xattrs: options.xattrs, acls: false },
  });
  const written: string[] = [];
  let planned = '';
  try {
    const plan = await s.plan();
    planned = plan.items
      .map(
        (i) =>
          `${i.kind} ${show(i.path)}${i.from ? ` from ${show(i.from)}` : ''}${i.linkTo ? ` as a link to ${show(i.linkTo)}` : ''}`,
      )
      .join('; ');
    for (const it of plan.items) {
      tally(it.conflict ? `${it.kind} (${it.conflict})` : it.kind);
      if (it.linkTo !== undefined) tally('+hard link');
      if (it.target?.type === 'special') tally('+special file');
      if (it.source?.allocated !== undefined) tally('+sparse');
      if (it.differs?.includes('xattr')) tally('+xattr');
      if (it.source?.type === 'file' && ['create', 'update', 'replaceType'].includes(it.kind))
        written.push(it.path);
    }
    if (plan.skipped.length) problems.push(`${label}: skipped ${JSON.stringify(plan.skipped)}`);
    const result = s.apply(plan.items);
    for (const f of result.failed)
      problems.push(`${label}: ${JSON.stringify(f.path)} failed: ${f.message}`);
  } finally {
    await s.close();
  }
  const srcAfter = snap(source);
  const tgtAfter = snap(target);
  problems.push(...differences(srcAfter, tgtAfter, options).map((d) => `${label}: ${d}`));
  for (const p of written) {
    const [se, te] = [srcAfter.get(p), tgtAfter.get(p)];
    if (se && te && se.allocated < se.size && te.allocated > se.allocated + SPARSE_SLACK)
      problems.push(
        `${label}: ${JSON.stringify(p)} lost its holes: ${te.allocated} B allocated, ${se.allocated} B in the source`,
      );
  }
  problems.push(
    ...diffSnapshots(srcBefore, srcAfter, { mode: true, mtime: true, inode: true }).map(
      (d) => `${label}: the source changed: ${d}`,
    ),
  );
  const versions = path.join(target, STATE_DIR, 'versions');
  const kept = new Set([
    ...contents(tgtAfter),
    ...(fs.existsSync(versions) ? contents(hashTree(versions, { includeStateDir: true })) : []),
  ]);
  for (const c of contents(tgtBefore))
    if (!kept.has(c)) problems.push(`${label}: lost what the target held: ${c.slice(0, 120)}`);
  const tmp = path.join(target, STATE_DIR, 'tmp');
  if (fs.existsSync(tmp) && fs.readdirSync(tmp).length)
    problems.push(`${label}: temp files left: ${fs.readdirSync(tmp).join(', ')}`);

  const again = await SyncSession.open(resolvePair(source, target), {
    write: true,
    home,
    threads: 0,
  });
  try {
    const plan = await again.plan();
    for (const it of plan.items)
      problems.push(`${label}: the next sync plans ${it.kind} ${JSON.stringify(it.path)}`);
    if (plan.items.length === 0 && plan.sourceRootId !== plan.targetRootId)
      problems.push(`${label}: nothing planned, yet the root ids differ`);
  } finally {
    await again.close();
  }
  if (problems.length) problems.push(`${label} planned: ${planned || 'nothing'}`);
  return problems;
}

async function runCase(c: Case): Promise<void> {
  const dir = path.join(base, `case-${++caseNo}`);
  const source = path.join(dir, 'source');
  const target = path.join(dir, 'target');
  try {
    const src = cloneModel(c.source);
    const opts: WriteOptions = {
      roots: { source, target },
      xattrs: XATTRS,
      makeSpecial: stock.take,
    };
    const links = applyEdits(src, c.sourceLinks, null);
    writeRoot(source, src, opts);
    // A clone keeps the source's hard-link groups (one FileModel under several names).
    const tgt = cloneModel(src);
    const targetEdits = applyEdits(tgt, c.targetEdits, null);
    await stock.fill(specialsIn(tgt));
    writeRoot(target, tgt, opts);
    const flags = [c.options.hardLinks && '-H', c.options.xattrs && '-X'].filter(Boolean);
    const story = [
      `pair: ${flags.join(' ') || 'no -H, no -X'}`,
      `source:${links.length ? ` (${links.join('; ')})` : ''}`,
      renderTree(src),
      `target: the source, then: ${targetEdits.join('; ') || '(no edit)'}`,
      renderTree(tgt),
    ];
    const problems = await syncAndCheck(source, target, 'first sync', c.options);
    if (problems.length === 0 && c.later) {
      // The target now holds the source: edits start from the same model on both sides (without
      // -H the target's names may be other inodes than the model's groups say; the checks read
      // the disk, the model only picks what to edit).
      const tgtNow = cloneModel(src);
      const srcEdits = applyEdits(src, c.later.source, source, opts);
      await stock.fill(specialsAddedBy(c.later.target));
      const tgtEdits = applyEdits(tgtNow, c.later.target, target, opts);
      story.push(
        `then the source: ${srcEdits.join('; ') || '(no edit)'}`,
        `and the target: ${tgtEdits.join('; ') || '(no edit)'}`,
      );
      problems.push(...(await syncAndCheck(source, target, 'second sync', c.options)));
    }
    if (problems.length)
      throw new Error(`${problems.join('\n')}\n--- the case:\n${story.join('\n')}`);
  } finally {
    removeTree(dir);
    const pairs = path.join(home, 'pairs');
    for (const f of fs.existsSync(pairs) ? fs.readdirSync(pairs) : [])
      fs.rmSync(path.join(pairs, f), { force: true });
  }
}

describe(`sync of random trees (${RUNS} cases, seed ${SEED})`, () => {
  it('makes the target equal the source, leaves the source alone, loses nothing, and a second sync plans nothing', async () => {
    console.log(
      `${PROPERTY.banner('syncTree property')}; ` +
        `attributes ${XATTRS ? 'on' : 'off: the temp folder holds no user.* attributes, or getfattr/setfattr are not installed (apt-get install attr)'}`,
    );
    await fc.assert(fc.asyncProperty(caseArb, runCase), PROPERTY.params);
    const kinds = [...seen].sort().map(([k, n]) => `${k} ${n}`);
    console.log(`syncTree property: planned items over the run: ${kinds.join(', ')}`);
    // A generator that stopped producing some kind of change would pass without testing it.
    if (PROPERTY.wide(200))
      for (const kind of [
        ...['create', 'update', 'replaceType', 'metadata', 'delete', 'rename'],
        ...['+hard link', '+special file', '+sparse', ...(XATTRS ? ['+xattr'] : [])],
      ])
        expect(
          [...seen.keys()].some((k) => k.startsWith(kind)),
          `no plan held a ${kind} item`,
        ).toBe(true);
  }, 900_000);
});

// Cases the property found, kept as tests of their own.
/** A source of one 100-byte file "a": where most of the regression cases below start. */
function oneFileA(): DirModel {
  return {
    t: 'dir',
    mode: 0o755,
    kids: new Map<string, TreeModel>([
      [
        'a',
        {
          t: 'file',
          content: { seed: 0, len: 100, flips: [] },
          mode: 0o644,
          mtime: Date.UTC(2001, 1, 3),
        },
      ],
    ]),
  };
}

describe('sync of random trees: cases found by the property', () => {
  // Found by TANDEM_PROPERTY_SEED=1001 on 9cfc657, twice: shrunk to one empty file "a", synced,
  // then rewritten with its mtime put back through a Date (which rounds to a whole millisecond);
  // and, after 668 cases, a first sync of files written "now". compare called two mtimes equal
  // when they differed by less than the granularity (1 ms here) while the folder id bucketed them
  // with floor(mtime / granularity): mtimes under a millisecond apart on two sides of a
  // millisecond boundary were "equal" to one and two buckets to the other. The pair was in sync
  // by its plan while its root ids said it was not (Plan.sourceRootId: "equal ids mean the pair
  // is in sync"), and every scan descended the whole tree instead of stopping at equal ids. The
  // engine's own copy landed there by itself: a source mtime of …000.999999 ms lists as …001.000
  // (a double of milliseconds rounds it), its copy was set through a double of seconds and
  // listed as …000.999. Fixed by 113bde4 (one definition of same mtime: the bucket).
  it.each([
    {
      how: 'a source mtime 1 ns short of a millisecond, copied by the first sync',
      first: (a: string) => execFileSync('touch', ['-d', '@1600000000.000999999', a]),
      then: null,
    },
    {
      how: 'a synced file whose mtime is put back through a Date, 0.059 ms later',
      first: (a: string) => fs.utimesSync(a, 1_600_000_000.600941, 1_600_000_000.600941),
      then: (a: string) => fs.utimesSync(a, 1_600_000_000.601, 1_600_000_000.601),
    },
  ])('seed 1001: nothing planned must mean equal root ids ($how)', async ({ first, then }) => {
    const dir = fs.mkdtempSync(path.join(base, 'mtime-boundary-'));
    const source = path.join(dir, 'source');
    const target = path.join(dir, 'target');
    fs.mkdirSync(source, { recursive: true });
    const a = path.join(source, 'a');
    fs.writeFileSync(a, '');
    first(a);
    try {
      const s = await SyncSession.open(resolvePair(source, target), {
        write: true,
        home,
        threads: 0,
      });
      try {
        s.apply((await s.plan()).items);
      } finally {
        await s.close();
      }
      then?.(a);
      const again = await SyncSession.open(resolvePair(source, target), {
        write: true,
        home,
        threads: 0,
      });
      try {
        const plan = await again.plan();
        const summary = {
          planned: plan.items.map((i) => `${i.kind} ${i.path}`),
          rootIdsEqual: plan.sourceRootId === plan.targetRootId,
        };
        // Either outcome is consistent: nothing planned and equal ids, or a metadata item for a.
        expect([
          { planned: [], rootIdsEqual: true },
          { planned: ['metadata a'], rootIdsEqual: false },
        ]).toContainEqual(summary);
      } finally {
        await again.close();
      }
    } finally {
      removeTree(dir);
    }
  });
});

describe('sync of random trees: a folder emptied by a move and replaced', () => {
  // Found by TANDEM_PROPERTY_SEED=290049326 on 5ef5717 (case 717, shrunk): the second sync failed
  // "a": "the folder it replaces still holds entries that were not removed". The move of a/a is a
  // rename of its file a/a/a, and the folder a/a, deleted early because the link is written at
  // a, was deleted before that rename took its file out (applyOrder).
  it('moves a folder out of another, then replaces the emptied one with a link', async () => {
    const file = (): TreeModel => ({
      t: 'file',
      content: { seed: 0, len: 65, flips: [] },
      mode: 0o644,
      mtime: Date.UTC(2001, 1, 3, 4, 5, 6),
    });
    const dir = (kids: [string, TreeModel][]): DirModel => ({
      t: 'dir',
      mode: 0o755,
      kids: new Map(kids),
    });
    await runCase({
      options: { hardLinks: false, xattrs: false },
      source: dir([['a', dir([['a', dir([['a', file()]])]])]]),
      sourceLinks: [],
      targetEdits: [],
      later: {
        source: [
          { op: 'move', at: 7788229, dir: 0, name: '日本語' },
          { op: 'folderToLink', at: 0, into: '{source}' },
        ],
        target: [],
      },
    });
  });
});

describe('sync of random trees: metadata of a target file with several names', () => {
  // Found by TANDEM_PROPERTY_SEED=1554976255 (case 4, shrunk) once hard links joined the trees:
  // a/a/a and "with space", one inode on both sides, another mtime on the target. The first
  // metadata item set the inode's mtime, which its other name shows too, and the second item
  // refused that name: "changed on the target since it was compared" (apply's ownChange knew
  // only of versioning moving a link count).
  it.each([false, true])('sets it once for all its names (-H %s)', async (hardLinks) => {
    await runCase({
      options: { hardLinks, xattrs: false },
      source: {
        t: 'dir',
        mode: 0o755,
        kids: new Map<string, TreeModel>([
          [
            'a',
            {
              t: 'file',
              content: { seed: 0, len: 10, flips: [] },
              mode: 0o644,
              mtime: Date.UTC(2011, 6, 1),
            },
          ],
        ]),
      },
      sourceLinks: [{ op: 'hardlink', at: 0, dir: 0, name: 'with space' }],
      targetEdits: [
        { op: 'touch', at: 0, mtime: Date.UTC(2001, 1, 3, 4, 5, 6) },
        { op: 'chmod', at: 0, mode: 0o600 },
      ],
      later: null,
    });
  });
});

describe('sync of random trees: a hard link where the target has another type', () => {
  // Found by TANDEM_PROPERTY_SEED=1958470359 (case 2, shrunk): -H, "A" and "a" one inode in the
  // source, a FIFO at "a" on the target. compare's replaceType item carried no linkTo, so "a" got
  // a copy of its own, and only the next sync made it a link.
  it('makes it a link in the first sync', async () => {
    await runCase({
      options: { hardLinks: true, xattrs: false },
      source: oneFileA(),
      sourceLinks: [{ op: 'hardlink', at: 0, dir: 0, name: 'A' }],
      targetEdits: [{ op: 'special', at: 1, dir: 0, name: 'a', kind: 'fifo', inPlace: true }],
      later: null,
    });
  });
});

describe('sync of random trees: a move of one name of a target file with several names', () => {
  // Found by TANDEM_PROPERTY_SEED=730434901 (case 47, shrunk): no -H, "a" and "😀🎉" one inode
  // on both sides; then the source renamed "a" to "0" and the target chmodded "a" (both names).
  // The rename moved "a" to "0" and gave it the source's mode, which "😀🎉" shows too, and its
  // metadata item refused it: "changed on the target since it was compared".
  it('gives the inode its metadata through the moved name, and the other name accepts it', async () => {
    await runCase({
      options: { hardLinks: false, xattrs: false },
      source: oneFileA(),
      sourceLinks: [{ op: 'hardlink', at: 0, dir: 0, name: '😀🎉' }],
      targetEdits: [],
      later: {
        source: [{ op: 'move', at: 0, dir: 0, name: '0' }],
        target: [{ op: 'chmod', at: 0, mode: 0o666 }],
      },
    });
  });
});

describe('sync of random trees: two names linked to a first name that stays', () => {
  // Found by TANDEM_PROPERTY_SEED=627978275 (case 9, shrunk): -H, "loop", "new\nline" and "😀🎉"
  // one inode on both sides; then the source rewrote "loop" with the same bytes (a new ctime)
  // and the target renamed "new\nline" to "a". The next sync links "new\nline" and "😀🎉" to
  // "loop" again; the first link moved the link count and ctime of "loop", and the second was
  // refused: "loop, the name it links to, was not written". Past that, "😀🎉" was a name of
  // that inode already, and renaming a new link over it did nothing (rename(2) between two names
  // of one inode), leaving the link in .tandem/tmp.
  it('links both, taking its own first link for no one else’s change', async () => {
    await runCase({
      options: { hardLinks: true, xattrs: false },
      source: {
        t: 'dir',
        mode: 0o755,
        kids: new Map<string, TreeModel>([
          [
            'loop',
            {
              t: 'file',
              content: { seed: 0, len: 100, flips: [] },
              mode: 0o644,
              mtime: Date.UTC(2001, 1, 3),
            },
          ],
        ]),
      },
      sourceLinks: [
        { op: 'hardlink', at: 0, dir: 0, name: '😀🎉' },
        { op: 'hardlink', at: 0, dir: 0, name: 'new\nline' },
      ],
      targetEdits: [],
      later: {
        source: [
          {
            op: 'rewrite',
            at: 0,
            content: { seed: 0, len: 100, flips: [] },
            mtime: Date.UTC(2001, 1, 3),
          },
        ],
        target: [{ op: 'move', at: 1, dir: 0, name: 'a' }],
      },
    });
  });
});

describe('sync of random trees: two names of one target inode that the source wants apart', () => {
  // Found by TANDEM_PROPERTY_SEED=1 (with attributes off, case 2, shrunk): no -H, "0" and "a"
  // one inode on both sides; then the source made "0" a file of its own and touched it. Setting
  // the mtime of "0" in place set that of "a" too, and the next sync planned "a" again: it never
  // converged (the metadata item of "0" is a copy now: splitSharedInodes).
  it('gives the name that differs a copy of its own', async () => {
    const a: TreeModel = {
      t: 'file',
      content: { seed: 0, len: 0, flips: [] },
      mode: 0o644,
      mtime: Date.UTC(2001, 1, 3, 4, 5, 6),
    };
    await runCase({
      options: { hardLinks: false, xattrs: false },
      source: { t: 'dir', mode: 0o755, kids: new Map([['a', a]]) },
      sourceLinks: [{ op: 'hardlink', at: 0, dir: 0, name: '0' }],
      targetEdits: [],
      later: {
        source: [
          { op: 'replace', at: 0, node: a },
          { op: 'touch', at: 0, mtime: Date.UTC(2011, 6, 1) },
        ],
        target: [],
      },
    });
  });
});

describe('sync of random trees: a target inode of several names touched and deleted', () => {
  // Found by TANDEM_PROPERTY_SEED=13 (case 38, shrunk): no -H, "a/a", "a/b" and "b" one inode
  // on both sides; the target moved "a" to "café" and touched "b". The sync set the mtime of "b"
  // (all three names), then versioned and deleted "café/b" (the link count and ctime moved), and
  // "café/a" was refused: apply took only one kind of its own change at a time for its own.
  it('deletes the other names after it set the inode’s metadata through one', async () => {
    await runCase({
      options: { hardLinks: false, xattrs: false },
      source: {
        t: 'dir',
        mode: 0o755,
        kids: new Map<string, TreeModel>([
          [
            'a',
            {
              t: 'dir',
              mode: 0o755,
              kids: new Map<string, TreeModel>([
                [
                  'a',
                  {
                    t: 'file',
                    content: { seed: 0, len: 0, flips: [] },
                    mode: 0o644,
                    mtime: Date.UTC(2001, 1, 3, 4, 5, 6),
                  },
                ],
              ]),
            },
          ],
        ]),
      },
      sourceLinks: [
        { op: 'hardlink', at: 0, dir: 0, name: 'b' },
        { op: 'hardlink', at: 0, dir: 451855981, name: 'b' },
      ],
      targetEdits: [
        { op: 'move', at: 0, dir: 0, name: 'café' },
        { op: 'touch', at: 0, mtime: Date.UTC(2011, 6, 1) },
      ],
      later: null,
    });
  });
});
