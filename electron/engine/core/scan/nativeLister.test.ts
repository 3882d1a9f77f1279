// The folder lister addon (native/lister) against Node's own listing: the same tree listed both
// ways must give the same walk, entry for entry and number for number (a stored stat that the
// addon read differently would make every file look changed, or worse, unchanged), the same skips
// and the same folder digests.
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
  listNative,
  nativeListerStatus,
  syncfsNative,
  useNativeLister,
} from './nativeLister.js';
import { walkTree, type WalkOptions, type WalkResult } from './walk.js';

const status = nativeListerStatus();
const RUNS = Math.max(1, Math.min(300, Number(process.env.TANDEM_PROPERTY_RUNS ?? 150)));
const SEED = process.env.TANDEM_PROPERTY_SEED
  ? Number(process.env.TANDEM_PROPERTY_SEED)
  : Math.floor(Math.random() * 2 ** 31);

let base: string;
beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-lister-'));
});
afterAll(() => removeTree(base));
afterEach(() => useNativeLister(true));

/** A walk as plain data, to compare with toEqual (digests as hex). */
function plain(w: WalkResult): unknown {
  return {
    entries: [...w.entries],
    skipped: w.skipped,
    collisions: w.collisions,
    byteNames: w.byteNames,
    folders: [...(w.folders ?? [])].map(([p, f]) => [p, f.digest?.toString('hex'), f.children]),
  };
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
    console.log(
      `nativeLister property: seed ${SEED}, ${RUNS} cases (replay with TANDEM_PROPERTY_SEED=${SEED})`,
    );
    const arbs = treeArbitraries({ sparse: false, xattrs: false });
    let n = 0;
    fc.assert(
      fc.property(
        arbs.root(6),
        fc.constantFrom<'source' | 'target'>('source', 'target'),
        fc.record({ textOnly: fc.boolean(), foldCase: fc.boolean(), owners: fc.boolean() }),
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
            const [native, node] = bothWays(root, side, opts);
            expect(plain(native)).toEqual(plain(node));
          } finally {
            removeTree(root);
          }
        },
      ),
      { numRuns: RUNS, seed: SEED },
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
    expect(listed.names).toEqual(times.map((_, i) => `f${i}`));
    listed.names.forEach((name, k) => {
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
    expect(listed.names).toEqual(byBytes);
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
