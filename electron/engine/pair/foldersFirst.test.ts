// Folders first (core/scan/inSyncFolders): an unchanged pair is compared by its folders' digests
// without a file row loaded, and what changed below an in-sync-looking folder is still found.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolvePair } from './pair.js';
import { SyncSession } from './syncSession.js';
import { FOLDER_DIGEST, IdentifierIndex } from '../core/index/identifierIndex.js';
import { makeSandbox, putFile, rewriteKeepingMtime, type Sandbox } from '../../testing/sandbox.js';
import { ageTree } from '../../testing/ageTree.js';
import { hashTree } from '../../testing/treeSnapshot.js';

const OLD = Date.UTC(2016, 2, 3, 4, 5, 6, 789);
let sb: Sandbox;

beforeEach(() => {
  sb = makeSandbox('folders-first');
  for (let d = 0; d < 3; d++)
    for (let f = 0; f < 4; f++) {
      putFile(sb.source, `d${d}/f${f}.txt`, `file ${d}/${f}\n`);
      putFile(sb.source, `d${d}/sub/g${f}.txt`, `deeper ${d}/${f}\n`);
    }
  fs.symlinkSync('d0/f0.txt', path.join(sb.source, 'link'));
});
afterEach(() => {
  vi.restoreAllMocks();
  sb.cleanup();
});

async function session(): Promise<SyncSession> {
  return SyncSession.open(resolvePair(sb.source, sb.target), {
    write: true,
    home: sb.home,
    threads: 0,
  });
}

async function sync(): Promise<
  ReturnType<SyncSession['plan']> extends Promise<infer P> ? P : never
> {
  const s = await session();
  try {
    const plan = await s.plan();
    s.apply(plan.items);
    return plan;
  } finally {
    await s.close();
  }
}

/** A pair in sync whose folders' digests are stored: synced, aged, and planned once more. */
async function settledPair(): Promise<void> {
  await sync();
  ageTree(sb.source, OLD);
  ageTree(sb.target, OLD);
  expect((await sync()).items).toEqual([]);
}

function spyRows() {
  return {
    load: vi.spyOn(IdentifierIndex.prototype, 'load'),
    children: vi.spyOn(IdentifierIndex.prototype, 'loadChildren'),
  };
}

const entriesOn = (root: string): number => hashTree(root, { hashContent: false }).size;

describe('folders first', () => {
  it('compares an unchanged pair by its root alone: no file row is loaded', async () => {
    await settledPair();
    const spies = spyRows();
    const plan = await sync();
    expect(plan.items).toEqual([]);
    expect(plan.sourceRootId).toBe(plan.targetRootId);
    expect(spies.load).not.toHaveBeenCalled();
    expect(spies.children).not.toHaveBeenCalled();
  });

  it('writes nothing to the index when nothing changed (no page, so no checkpoint and no fsync)', async () => {
    await settledPair();
    await sync(); // the settled pair's digests and meta values all stored
    const pairs = path.join(sb.home, 'pairs');
    const files = fs.readdirSync(pairs).filter((f) => f.endsWith('.sqlite'));
    expect(files).toHaveLength(1);
    const file = path.join(pairs, files[0]!);
    const before = fs.statSync(file, { bigint: true });
    expect((await sync()).items).toEqual([]);
    const after = fs.statSync(file, { bigint: true });
    // A write of any page would reach the file at the close's checkpoint and move its mtime.
    expect(after.mtimeNs).toBe(before.mtimeNs);
    expect(after.size).toBe(before.size);
  });

  it('finds new bytes that kept the size and mtime deep inside, and lists only their folders', async () => {
    await settledPair();
    rewriteKeepingMtime(path.join(sb.source, 'd1/sub/g2.txt'), Buffer.from('DEEPER 1/2\n'));
    const spies = spyRows();
    const plan = await sync();
    expect(plan.items.map((i) => `${i.kind} ${i.path}`)).toEqual(['update d1/sub/g2.txt']);
    expect(spies.load).not.toHaveBeenCalled();
    // The root, d1 and d1/sub are listed on each side; d0 and d2 stand as in sync.
    const listed = spies.children.mock.calls.map((c) => `${String(c[0])}:${String(c[2])}`);
    expect(listed.sort()).toEqual(
      ['source:', 'source:d1', 'source:d1/sub', 'target:', 'target:d1', 'target:d1/sub'].sort(),
    );
    expect(fs.readFileSync(path.join(sb.target, 'd1/sub/g2.txt'), 'utf8')).toBe('DEEPER 1/2\n');
  });

  it('finds a target file edited in place with its mtime put back', async () => {
    await settledPair();
    rewriteKeepingMtime(path.join(sb.target, 'd2/f3.txt'), Buffer.from('FILE 2/3\n'));
    const s = await session();
    try {
      const plan = await s.plan();
      expect(plan.items.map((i) => `${i.kind} ${i.path}`)).toEqual(['update d2/f3.txt']);
    } finally {
      await s.close();
    }
  });

  it('finds a link given another text, and a mode changed', async () => {
    await settledPair();
    fs.unlinkSync(path.join(sb.source, 'link'));
    fs.symlinkSync('d1/f0.txt', path.join(sb.source, 'link'));
    fs.lutimesSync(path.join(sb.source, 'link'), OLD / 1000, OLD / 1000);
    fs.chmodSync(path.join(sb.source, 'd2/sub/g0.txt'), 0o600);
    const plan = await sync();
    expect(plan.items.map((i) => `${i.kind} ${i.path}`).sort()).toEqual(
      ['metadata d2/sub/g0.txt', 'update link'].sort(),
    );
    expect(fs.readlinkSync(path.join(sb.target, 'link'))).toBe('d1/f0.txt');
  });

  it('drops the rows of a folder removed from both sides, all the way down', async () => {
    await settledPair();
    fs.rmSync(path.join(sb.source, 'd1'), { recursive: true });
    fs.rmSync(path.join(sb.target, 'd1'), { recursive: true });
    const s = await session();
    try {
      const plan = await s.plan();
      expect(plan.items).toEqual([]);
      // The index holds exactly what each side holds (its root included).
      expect(s.pair.index.count('source')).toBe(entriesOn(sb.source));
      expect(s.pair.index.count('target')).toBe(entriesOn(sb.target));
    } finally {
      await s.close();
    }
  });

  it('does not vouch for a folder whose file was modified within the racy window', async () => {
    await settledPair();
    // Rewritten now, with the same size: its row is not trusted yet, nor is its folder's digest.
    fs.writeFileSync(path.join(sb.source, 'd0/f1.txt'), 'FILE 0/1\n');
    expect((await sync()).items.map((i) => `${i.kind} ${i.path}`)).toEqual(['update d0/f1.txt']);
    const s = await session();
    try {
      const folders = s.pair.index.loadFolders('source', s.scheme);
      expect(folders.get('d0')![FOLDER_DIGEST]).toBeNull();
      expect(folders.get('d1')![FOLDER_DIGEST]).not.toBeNull();
    } finally {
      await s.close();
    }
  });
});
