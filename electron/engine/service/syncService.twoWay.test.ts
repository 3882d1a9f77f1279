// A two-way pair in the live service (issue 13), through its SyncApi on real folders: changes
// pending with their direction, approvals carried out one way or the other, auto-approve carrying
// everything but conflicts, each resolution of a conflict checked on disk, a resolution for a
// conflict that changed since it was shown refused, and the registry's rules for the mode.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PairConfig, PendingChange, Result } from '../../shared/syncApi.js';
import { makeSandbox, putFile, type Sandbox } from '../../testing/sandbox.js';
import { diffTrees } from '../../testing/treeSnapshot.js';
import { SyncService } from './syncService.js';

let sb: Sandbox;
let A: string;
let B: string;
let service: SyncService;

const ok = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
};
const read = (root: string, rel: string): string => fs.readFileSync(path.join(root, rel), 'utf8');

beforeEach(async () => {
  sb = makeSandbox('service-twoway');
  A = sb.source;
  B = sb.target;
  service = new SyncService({ home: sb.home, threads: 0, quietMs: 0, watcherFactory: null });
  await service.start();
});
afterEach(async () => {
  await service.stop();
  sb.cleanup();
});

const pending = async (pairId: string): Promise<PendingChange[]> =>
  ok(await service.listPending({ pairId, limit: 1000 })).items;

async function twoWayPair(auto: boolean): Promise<PairConfig> {
  return ok(
    await service.addPair({
      source: A,
      target: B,
      mode: 'twoWay',
      policy: { autoApprove: auto, autoApproveDeletes: auto, maxAutoDeletes: 10 },
    }),
  );
}

/** A pair in sync, then the same file edited on both sides. */
async function conflicted(): Promise<{ pair: PairConfig; c: PendingChange }> {
  putFile(A, 'doc.txt', 'base');
  const pair = await twoWayPair(true);
  ok(await service.scanNow(pair.id));
  expect(read(B, 'doc.txt')).toBe('base');
  putFile(A, 'doc.txt', 'A edit');
  putFile(B, 'doc.txt', 'B edit, longer');
  ok(await service.scanNow(pair.id));
  const [c] = await pending(pair.id);
  expect(c).toMatchObject({
    path: 'doc.txt',
    conflict: 'bothChanged',
    twoWay: { kind: 'bothModified' },
  });
  return { pair, c: c! };
}

describe('a two-way pair in the service', () => {
  it('lists each change with its direction and carries out what a person approves, either way', async () => {
    putFile(A, 'fromA.txt', 'made on A');
    putFile(B, 'fromB.txt', 'made on B');
    const pair = await twoWayPair(false);
    expect(pair.mode).toBe('twoWay');
    ok(await service.scanNow(pair.id));
    const items = await pending(pair.id);
    expect(items.map((i) => [i.direction, i.kind, i.path])).toEqual([
      ['aToB', 'create', 'fromA.txt'],
      ['bToA', 'create', 'fromB.txt'],
    ]);
    expect(fs.existsSync(path.join(B, 'fromA.txt'))).toBe(false);
    const b = items.find((i) => i.path === 'fromB.txt')!;
    ok(await service.approve({ pairId: pair.id, changes: [{ path: b.path, rev: b.rev }] }));
    ok(await service.scanNow(pair.id));
    expect(read(A, 'fromB.txt')).toBe('made on B');
    expect(fs.existsSync(path.join(B, 'fromA.txt'))).toBe(false);
    expect((await pending(pair.id)).map((i) => i.path)).toEqual(['fromA.txt']);
    const history = ok(await service.listHistory(pair.id));
    expect(history.map((h) => [h.path, h.outcome])).toEqual([['fromB.txt', 'applied']]);
  });

  it('under auto-approve carries every change both ways, and holds the conflict for a person', async () => {
    const { pair } = await conflicted();
    putFile(A, 'more/fromA', 'a');
    putFile(B, 'fromB', 'b');
    ok(await service.scanNow(pair.id));
    expect(read(B, 'more/fromA')).toBe('a');
    expect(read(A, 'fromB')).toBe('b');
    expect((await pending(pair.id)).map((i) => i.path)).toEqual(['doc.txt']);
    const status = ok(await service.status()).find((s) => s.pairId === pair.id)!;
    expect([status.state, status.conflicts]).toEqual(['pending', 1]);
    // Approving a conflict does not resolve it: it needs a choice.
    const c = (await pending(pair.id))[0]!;
    expect(
      ok(await service.approve({ pairId: pair.id, changes: [{ path: c.path, rev: c.rev }] })).done,
    ).toBe(0);
    ok(await service.scanNow(pair.id));
    expect([read(A, 'doc.txt'), read(B, 'doc.txt')]).toEqual(['A edit', 'B edit, longer']);
  });

  it("keep A's", async () => {
    const { pair, c } = await conflicted();
    ok(await service.resolveConflict(pair.id, { path: c.path, rev: c.rev }, 'keepA'));
    ok(await service.scanNow(pair.id));
    expect([read(A, 'doc.txt'), read(B, 'doc.txt')]).toEqual(['A edit', 'A edit']);
    expect(await pending(pair.id)).toEqual([]);
  });

  it("keep B's", async () => {
    const { pair, c } = await conflicted();
    ok(await service.resolveConflict(pair.id, { path: c.path, rev: c.rev }, 'keepB'));
    ok(await service.scanNow(pair.id));
    expect([read(A, 'doc.txt'), read(B, 'doc.txt')]).toEqual(['B edit, longer', 'B edit, longer']);
  });

  it('keep both', async () => {
    const { pair, c } = await conflicted();
    ok(await service.resolveConflict(pair.id, { path: c.path, rev: c.rev }, 'keepBoth'));
    ok(await service.scanNow(pair.id));
    ok(await service.scanNow(pair.id));
    expect(diffTrees(A, B, { mtime: false, mode: false })).toEqual([]);
    const names = fs.readdirSync(A).filter((n) => n.startsWith('doc'));
    expect(names).toHaveLength(2);
    const contents = names.map((n) => read(A, n)).sort();
    expect(contents).toEqual(['A edit', 'B edit, longer']);
    expect(await pending(pair.id)).toEqual([]);
  });

  it('refuses a resolution for a conflict that changed since it was shown, and a bad one', async () => {
    const { pair, c } = await conflicted();
    putFile(B, 'doc.txt', 'B edited again');
    ok(await service.scanNow(pair.id));
    const stale = await service.resolveConflict(pair.id, { path: c.path, rev: c.rev }, 'keepA');
    expect(stale).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(!stale.ok && stale.error.message).toMatch(/changed since it was shown/);
    const bad = await service.resolveConflict(
      pair.id,
      { path: c.path, rev: c.rev },
      'mine' as never,
    );
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(read(A, 'doc.txt')).toBe('A edit');
  });

  it("lists and restores the versions kept on each side, A's among them", async () => {
    putFile(A, 'notes.txt', 'first');
    const pair = await twoWayPair(true);
    ok(await service.scanNow(pair.id));
    // Edited on B: A's copy is replaced and kept in A's store; then on A: B's is kept in B's.
    putFile(B, 'notes.txt', 'second, from B');
    ok(await service.scanNow(pair.id));
    putFile(A, 'notes.txt', 'third, from A');
    ok(await service.scanNow(pair.id));
    expect(read(B, 'notes.txt')).toBe('third, from A');
    const versions = ok(await service.listVersions(pair.id, 'notes.txt'));
    expect(versions.map((v) => v.side).sort()).toEqual(['source', 'target']);
    const onA = versions.find((v) => v.side === 'source')!;
    ok(await service.restoreVersion(pair.id, 'notes.txt', onA.run, onA.stored, 'source'));
    expect(read(A, 'notes.txt')).toBe('first');
    // The restore is a change on A like any other: the next cycle carries it to B.
    ok(await service.scanNow(pair.id));
    expect(read(B, 'notes.txt')).toBe('first');
    const bad = await service.restoreVersion(
      pair.id,
      'notes.txt',
      onA.run,
      onA.stored,
      'left' as never,
    );
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid' } });
  });

  it('refuses to restore on the source of a one-way pair', async () => {
    putFile(A, 'x.txt', 'x');
    const pair = ok(await service.addPair({ source: A, target: B }));
    const r = await service.restoreVersion(pair.id, 'x.txt', 'run', 'stored', 'source');
    expect(r).toMatchObject({ ok: false, error: { code: 'refused' } });
    expect(!r.ok && r.error.message).toMatch(/only a two-way pair keeps versions on its source/);
  });

  it('registers only local folders and no fidelity settings for a two-way pair', async () => {
    const remote = await service.addPair({ source: A, target: 'nas:/backup', mode: 'twoWay' });
    expect(!remote.ok && remote.error.message).toMatch(/two local folders/);
    const attrs = await service.addPair({ source: A, target: B, mode: 'twoWay', xattrs: true });
    expect(!attrs.ok && attrs.error.message).toMatch(/not yet kept by two-way pairs/);
    const pair = await twoWayPair(true);
    expect([pair.xattrs, pair.acls, pair.hardLinks, pair.owners]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });
});
