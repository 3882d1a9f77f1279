// SyncSession.settleTarget: after an apply, the folders it wrote into are listed again on the
// target and kept with their digests, so the next sync compares them by their folders alone;
// and what lands on the target between the apply and that listing is still found.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resolvePair } from './pair.js';
import { SyncSession } from './syncSession.js';
import { FOLDER_DIGEST, IdentifierIndex } from '../core/index/identifierIndex.js';
import { makeSandbox, putFile, rewriteKeepingMtime, type Sandbox } from '../../testing/sandbox.js';
import { ageTree } from '../../testing/ageTree.js';
import { diffTrees } from '../../testing/treeSnapshot.js';

const OLD = Date.UTC(2017, 8, 9, 10, 11, 12, 345);
let sb: Sandbox;

beforeEach(() => {
  sb = makeSandbox('settle-target');
  for (let d = 0; d < 3; d++)
    for (let f = 0; f < 4; f++) {
      putFile(sb.source, `d${d}/f${f}.txt`, `file ${d}/${f}\n`);
      putFile(sb.source, `d${d}/sub/g${f}.txt`, `deeper ${d}/${f}\n`);
    }
  fs.symlinkSync('d0/f0.txt', path.join(sb.source, 'link'));
  // Old mtimes: nothing the apply writes is inside the racy window.
  ageTree(sb.source, OLD);
});
afterEach(() => {
  vi.restoreAllMocks();
  sb.cleanup();
});

type PlanOf = ReturnType<SyncSession['plan']> extends Promise<infer P> ? P : never;

/** One sync; `between` runs after the apply, before the re-listing (none where settle is false). */
async function sync(o: { settle?: boolean; between?: () => void } = {}): Promise<{
  plan: PlanOf;
  kept: boolean;
}> {
  const s = await SyncSession.open(resolvePair(sb.source, sb.target), {
    write: true,
    home: sb.home,
    threads: 0,
  });
  try {
    const plan = await s.plan();
    expect(s.apply(plan.items).failed).toEqual([]);
    o.between?.();
    const kept = o.settle === false ? false : await s.settleTarget(plan.items);
    return { plan, kept };
  } finally {
    await s.close();
  }
}

function spyRows() {
  return {
    load: vi.spyOn(IdentifierIndex.prototype, 'load'),
    children: vi.spyOn(IdentifierIndex.prototype, 'loadChildren'),
  };
}

describe('settleTarget', () => {
  it('after a first copy, the next sync compares the pair by its root alone', async () => {
    const first = await sync();
    expect(first.kept).toBe(true);
    expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);
    const spies = spyRows();
    const next = await sync();
    expect(next.plan.items).toEqual([]);
    expect(spies.load).not.toHaveBeenCalled();
    expect(spies.children).not.toHaveBeenCalled();
  });

  it('without it, that sync matches every row (what the re-listing saves)', async () => {
    await sync({ settle: false });
    const spies = spyRows();
    expect((await sync({ settle: false })).plan.items).toEqual([]);
    expect(spies.load.mock.calls.length + spies.children.mock.calls.length).toBeGreaterThan(0);
  });

  it('after an update deep inside, the next sync lists no folder', async () => {
    await sync();
    await sync();
    rewriteKeepingMtime(path.join(sb.source, 'd1/sub/g2.txt'), Buffer.from('DEEPER 1/2\n'));
    const edit = await sync();
    expect(edit.plan.items.map((i) => `${i.kind} ${i.path}`)).toEqual(['update d1/sub/g2.txt']);
    expect(edit.kept).toBe(true);
    const spies = spyRows();
    expect((await sync()).plan.items).toEqual([]);
    expect(spies.children).not.toHaveBeenCalled();
    expect(fs.readFileSync(path.join(sb.target, 'd1/sub/g2.txt'), 'utf8')).toBe('DEEPER 1/2\n');
  });

  it('finds a target file rewritten between the apply and the re-listing, size and mtime kept', async () => {
    await sync({
      between: () =>
        rewriteKeepingMtime(path.join(sb.target, 'd2/sub/g1.txt'), Buffer.from('DEEPER 2/X\n')),
    });
    const next = await sync();
    expect(next.plan.items.map((i) => `${i.kind} ${i.path}`)).toEqual(['update d2/sub/g1.txt']);
    expect(fs.readFileSync(path.join(sb.target, 'd2/sub/g1.txt'), 'utf8')).toBe('deeper 2/1\n');
  });

  it('finds a file added to the target in between, and keeps no digest for a racy one', async () => {
    await sync({ between: () => putFile(sb.target, 'd0/sub/new.txt', 'made just now\n') });
    const s = await SyncSession.open(resolvePair(sb.source, sb.target), {
      write: true,
      home: sb.home,
      threads: 0,
    });
    try {
      // Written within the racy window: its folder is listed again next time, not vouched for.
      const folders = s.pair.index.loadFolders('target', s.scheme);
      expect(folders.get('d0/sub')![FOLDER_DIGEST]).toBeNull();
      expect(folders.get('d1/sub')![FOLDER_DIGEST]).not.toBeNull();
      const plan = await s.plan();
      // The added name moved its folder's mtime too.
      expect(plan.items.map((i) => `${i.kind} ${i.path}`).sort()).toEqual([
        'delete d0/sub/new.txt',
        'metadata d0/sub',
      ]);
    } finally {
      await s.close();
    }
  });

  it('keeps nothing after a plan without digests (a scrub)', async () => {
    await sync();
    const s = await SyncSession.open(resolvePair(sb.source, sb.target), {
      write: true,
      home: sb.home,
      threads: 0,
      verifyStored: true,
    });
    try {
      const plan = await s.plan();
      expect(await s.settleTarget(plan.items)).toBe(false);
    } finally {
      await s.close();
    }
  });
});
