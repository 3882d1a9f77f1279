// The folder lister addon (native/lister) against Node's own listing: the same tree listed both
// ways must give the same walk, entry for entry and number for number (a stored stat that the
// addon read differently would make every file look changed, or worse, unchanged), the same skips
// and the same folders vouched for. And a lazy listing (plain folders kept packed) unfolded must
// be the full listing, with the very same folder digests.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { treeArbitraries, writeRoot } from '../../../testing/randomTree.js';
import { escapedByte, fsPath } from '../../../testing/byteNames.js';
import { makeUnixSocket, removeTree } from '../../../testing/sandbox.js';
import { encodeName } from '../runtime/byteNames.js';
import {
  FIELD,
  FIELDS,
  LISTED,
  listNative,
  nativeListerStatus,
  splitNames,
  syncfsNative,
  useNativeLister,
} from './nativeLister.js';
import { walkTree, type WalkEntry, type WalkOptions, type WalkResult } from './walk.js';
import { withoutCovered } from './inSyncFolders.js';
import { parentOf } from './tree.js';
import { propertyRun } from '../../../testing/property.js';

const status = nativeListerStatus();
const PROPERTY = propertyRun(150, { max: 300 });
const { runs: RUNS, seed: SEED } = PROPERTY;

let base: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-lister-'));
});
afterAll(() => removeTree(base));
afterEach(() => useNativeLister(true));

/**
 * A walk as plain data, to compare with toEqual. The addon's digests and Node's are different
 * functions of the listing (walk.ts, listingDigest): compared as vouched or not, unless `exact`.
 */
function plain(w: WalkResult, exact = false): unknown {
  return {
    entries: [...w.entries],
    skipped: w.skipped,
    collisions: w.collisions,
    byteNames: w.byteNames,
    folders: [...(w.folders ?? [])].map(([p, f]) => [
      p,
      exact ? f.digest?.toString('hex') : f.digest !== null,
      f.children,
    ]),
  };
}

/** Each folder's children in the order the listing has them: what a lazy unfolding keeps. */
function childOrder(entries: ReadonlyMap<string, WalkEntry>): Map<string, string[]> {
  const kids = new Map<string, string[]>();
  for (const p of entries.keys()) {
    if (p === '') continue;
    const d = parentOf(p);
    const list = kids.get(d);
    if (list) list.push(p);
    else kids.set(d, [p]);
  }
  return kids;
}

/** Sets every time in the tree well before the racy window, deepest first: folders can vouch. */
function age(root: string, seconds = 1_600_000_000): void {
  const visit = (p: Buffer): void => {
    if (fs.lstatSync(p).isDirectory())
      for (const n of fs.readdirSync(p, { encoding: 'buffer' }))
        visit(Buffer.concat([p, Buffer.from('/'), n]));
    fs.lutimesSync(p, seconds, seconds);
  };
  visit(Buffer.from(root));
}

function bothWays(
  root: string,
  side: 'source' | 'target',
  opts: WalkOptions,
): [WalkResult, WalkResult] {
  useNativeLister(true);
  const native = walkTree(root, side, opts);
  useNativeLister(false);
  const node = walkTree(root, side, opts);
  useNativeLister(true);
  return [native, node];
}

it('is built and loads where CI requires it (TANDEM_REQUIRE_NATIVE=1)', () => {
  if (process.env.TANDEM_REQUIRE_NATIVE === '1') expect(status.reason).toBe('loaded');
  else if (!status.native) console.log(`folder lister addon not loaded: ${status.reason}`);
});

describe.skipIf(!status.native)('the folder lister addon', () => {
  it(`lists random trees as Node does (${RUNS} cases, seed ${SEED})`, () => {
    console.log(PROPERTY.banner('nativeLister property'));
    const arbs = treeArbitraries({ sparse: false, xattrs: false });
    let n = 0;
    fc.assert(
      fc.property(
        arbs.root(6),
        fc.constantFrom<'source' | 'target'>('source', 'target'),
        fc.record({
          textOnly: fc.boolean(),
          foldCase: fc.boolean(),
          owners: fc.boolean(),
          aged: fc.boolean(),
        }),
        (tree, side, o) => {
          const root = path.join(base, `case-${++n}`);
          try {
            writeRoot(root, tree);
            const opts: WalkOptions = {
              folderDigests: true,
              targetNames: {
                foldCase: o.foldCase,
                normalizeUnicode: o.foldCase,
                textOnly: o.textOnly,
              },
              ...(o.owners ? { owners: true, hardLinks: true } : {}),
            };
            if (o.aged) age(root);
            const [native, node] = bothWays(root, side, opts);
            expect(plain(native)).toEqual(plain(node));
            // Lazy (plain folders packed), unfolded in full: the same listing, the same digests.
            const lazy = walkTree(root, side, { ...opts, lazy: true });
            const unfolded = withoutCovered(lazy, new Set());
            expect(unfolded.pending).toBeUndefined();
            const sorted = (w: WalkResult): unknown => ({
              ...(plain(w, true) as object),
              entries: [...w.entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
            });
            expect(sorted(unfolded)).toEqual(sorted(native));
            expect(childOrder(unfolded.entries)).toEqual(childOrder(native.entries));
            if (o.owners) expect(lazy.pending).toBeUndefined();
          } finally {
            removeTree(root);
          }
        },
      ),
      PROPERTY.params,
    );
  });

  it('reads times to the nanosecond as fs.lstatSync does, and sizes, inodes and modes', () => {
    const dir = path.join(base, 'times');
    fs.mkdirSync(dir);
    // Whole seconds, fractions and far dates; the last file keeps the kernel's own nanoseconds.
    const times = [0, 1.5, 1_600_000_000.12345, 1_999_999_999.99999, 4_102_444_800.00001, null];
    times.forEach((t, i) => {
      const p = path.join(dir, `f${i}`);
      fs.writeFileSync(p, Buffer.alloc(i * 1000 + 1));
      if (t !== null) fs.utimesSync(p, t, t);
    });
    const listed = listNative(Buffer.from(dir))!;
    const names = splitNames(listed.bytes);
    expect(names).toEqual(times.map((_, i) => `f${i}`));
    names.forEach((name, k) => {
      const st = fs.lstatSync(path.join(dir, name));
      const r = listed.stats.subarray(k * FIELDS, (k + 1) * FIELDS);
      const mtimeMs = r[FIELD.mtimeSec]! * 1e3 + r[FIELD.mtimeNsec]! / 1e6;
      expect(mtimeMs).toBe(st.mtimeMs);
      expect(r[FIELD.ctimeSec]! * 1e3 + r[FIELD.ctimeNsec]! / 1e6).toBe(st.ctimeMs);
      expect([r[FIELD.size], r[FIELD.ino], r[FIELD.mode], r[FIELD.nlink], r[FIELD.blocks]]).toEqual(
        [st.size, st.ino, st.mode, st.nlink, st.blocks],
      );
    });
  });

  it('keeps names that are not UTF-8 byte-exact, sorted by their bytes', () => {
    const dir = path.join(base, 'bytes');
    fs.mkdirSync(dir);
    const names = [`caf${escapedByte(0xe9)}`, 'café', escapedByte(0xff), 'Z', 'a', '\x01'];
    for (const n of names) fs.writeFileSync(fsPath(path.join(dir, n)), n);
    const listed = listNative(Buffer.from(dir))!;
    const byBytes = [...names].sort((a, b) => Buffer.compare(encodeName(a), encodeName(b)));
    expect(splitNames(listed.bytes)).toEqual(byBytes);
    expect(listed.flags & LISTED.nonAscii).toBe(LISTED.nonAscii);
    useNativeLister(false);
    const viaNode = walkTree(dir, 'source');
    useNativeLister(true);
    expect([...walkTree(dir, 'source').entries.keys()]).toEqual([...viaNode.entries.keys()]);
  });

  it('lists a FIFO and a socket as Node does: skipped in a source, special in a target', async () => {
    const dir = path.join(base, 'special');
    fs.mkdirSync(dir);
    execFileSync('mkfifo', [path.join(dir, 'pipe')]);
    await makeUnixSocket(path.join(dir, 'sock'));
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    for (const side of ['source', 'target'] as const) {
      const [native, node] = bothWays(dir, side, { folderDigests: true });
      expect(plain(native)).toEqual(plain(node));
    }
    const [source] = bothWays(dir, 'source', {});
    expect(source.skipped.map((s) => s.reason).sort()).toEqual([
      'named pipe (FIFO): not synced',
      'socket: not synced',
    ]);
  });

  it.skipIf(process.platform !== 'linux')(
    'flushes a filesystem with syncfs(2), or names the errno',
    () => {
      const file = path.join(base, 'to-flush');
      fs.writeFileSync(file, 'x');
      expect(syncfsNative(file)).toBe(true);
      expect(() => syncfsNative(path.join(base, 'no-such-file'))).toThrow(
        expect.objectContaining({ code: 'ENOENT' }),
      );
    },
  );

  it('flags what a folder holds that must be looked at child by child, and its newest mtime', async () => {
    const dir = path.join(base, 'flags');
    const flagsOf = (sub: string, make: (d: string) => void | Promise<void>) => async () => {
      const d = path.join(dir, sub);
      fs.mkdirSync(d, { recursive: true });
      await make(d);
      return listNative(Buffer.from(d))!;
    };
    const none = await flagsOf('plain', (d) => {
      fs.writeFileSync(path.join(d, 'Abc'), 'x');
      fs.writeFileSync(path.join(d, 'abd'), 'x');
      fs.mkdirSync(path.join(d, 'sub'));
      fs.utimesSync(path.join(d, 'Abc'), 1_700_000_000.25, 1_700_000_000.25);
      fs.utimesSync(path.join(d, 'abd'), 1_600_000_000, 1_600_000_000);
      fs.utimesSync(path.join(d, 'sub'), 1_500_000_000, 1_500_000_000);
    })();
    expect(none.flags).toBe(0);
    expect(none.newest).toBe(fs.lstatSync(path.join(dir, 'plain', 'Abc')).mtimeMs);
    const twins = await flagsOf('twins', (d) => {
      fs.writeFileSync(path.join(d, 'README'), 'x');
      fs.writeFileSync(path.join(d, 'other'), 'x');
      fs.writeFileSync(path.join(d, 'readme'), 'x');
    })();
    expect(twins.flags).toBe(LISTED.caseTwins);
    const link = await flagsOf('link', (d) => fs.symlinkSync('nowhere', path.join(d, 'l')))();
    expect(link.flags).toBe(LISTED.symlink);
    const linked = await flagsOf('linked', (d) => {
      fs.writeFileSync(path.join(d, 'a'), 'x');
      fs.linkSync(path.join(d, 'a'), path.join(d, 'b'));
    })();
    expect(linked.flags).toBe(LISTED.linked);
    const special = await flagsOf('special', (d) => {
      execFileSync('mkfifo', [path.join(d, 'pipe')]);
    })();
    expect(special.flags).toBe(LISTED.special);
    const empty = await flagsOf('empty', () => undefined)();
    expect([empty.flags, empty.newest]).toEqual([0, -Infinity]);
  });

  it('keeps plain folders packed in a lazy listing, and their digests follow their files', () => {
    const root = path.join(base, 'lazy');
    for (const d of ['a', 'b', 'c']) {
      fs.mkdirSync(path.join(root, d), { recursive: true });
      for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(root, d, `f${i}`), `${d}${i}`);
    }
    fs.symlinkSync('f0', path.join(root, 'c', 'link'));
    age(root);
    const opts: WalkOptions = { folderDigests: true, lazy: true };
    const before = walkTree(root, 'source', opts);
    // a and b are plain: packed, their files not entries; c holds a link: listed child by child.
    expect([...before.pending!.keys()]).toEqual(['a', 'b']);
    expect(before.entries.has('a/f0')).toBe(false);
    expect(before.entries.has('c/f0')).toBe(true);
    expect(withoutCovered(before, new Set(['a'])).entries.has('a/f0')).toBe(false);
    expect(withoutCovered(before, new Set(['a'])).entries.has('b/f0')).toBe(true);
    for (const d of ['', 'a', 'b', 'c']) expect(before.folders!.get(d)!.digest).not.toBeNull();
    // A file's new mtime (its folder's own is kept) changes that folder's digest and no other.
    fs.utimesSync(path.join(root, 'a', 'f3'), 1_600_000_001, 1_600_000_001);
    const after = walkTree(root, 'source', opts);
    const digest = (w: WalkResult, d: string) => w.folders!.get(d)!.digest!.toString('hex');
    expect(digest(after, 'a')).not.toBe(digest(before, 'a'));
    for (const d of ['', 'b', 'c']) expect(digest(after, d)).toBe(digest(before, d));
    // A file written now is too recent to vouch for: its folder has no digest.
    fs.writeFileSync(path.join(root, 'b', 'f1'), 'new');
    expect(walkTree(root, 'source', opts).folders!.get('b')!.digest).toBeNull();
    // Ignore patterns decide which children count: nothing is packed, and they are in the digest.
    const ignoring = walkTree(root, 'source', { ...opts, ignore: ['f4'] });
    expect(ignoring.pending).toBeUndefined();
    expect(ignoring.entries.has('a/f4')).toBe(false);
    expect(digest(ignoring, 'a')).not.toBe(digest(after, 'a'));
    expect(ignoring.folders!.get('a')!.children).toBe(4);
  });

  it('fails a folder it cannot list with the errno Node names, and a bad argument plainly', () => {
    const missing = path.join(base, 'no-such-folder');
    expect(() => listNative(Buffer.from(missing))).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    const file = path.join(base, 'plain-file');
    fs.writeFileSync(file, '');
    expect(() => listNative(Buffer.from(file))).toThrow(
      expect.objectContaining({ code: 'ENOTDIR' }),
    );
    expect(() => listNative(Buffer.from(`${base}\0x`))).toThrow(/NUL byte/);
    // The walk reports a folder it cannot list as a skip, both ways alike.
    const [native, node] = bothWays(base, 'source', {});
    expect(plain(native)).toEqual(plain(node));
  });
});
