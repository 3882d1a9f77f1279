// A target-only folder that holds target-only data, on a pair that auto-applies deletions: the
// folder's delete may be auto-approved, its file's (a conflict) may not. Found while writing the
// service crash trials (electron/daemon/serviceCrash.integration.test.ts); failed on 9cfc657,
// passes since 113bde4 (the policy holds such a folder while entries inside it wait).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Result, SyncEvent } from '../../shared/syncApi.js';
import { SyncService } from './syncService.js';

let dir: string;
let service: SyncService | null = null;

const ok = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
};

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-service-stray-'));
});
afterEach(async () => {
  await service?.stop();
  service = null;
  fs.rmSync(dir, { recursive: true, force: true });
});

it('does not cycle without end on a target-only folder whose file waits for a person', async () => {
  // On 9cfc657 each cycle auto-applied "delete stray", rmdir found the folder not empty, which
  // apply counted as applied; an applied item starts another cycle, which planned the same delete
  // again, so the pair scanned and "applied" for ever (85 cycles in 5 s), each cycle adding a
  // history row saying the folder was deleted while it was still there.
  const src = path.join(dir, 'src');
  const dst = path.join(dir, 'dst');
  fs.mkdirSync(src);
  // enough entries that two deletions stay below the mass-deletion hold
  for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(src, `f${i}.txt`), `file ${i}`);
  service = new SyncService({ home: path.join(dir, 'home'), threads: 0, quietMs: 0 });
  const applied: SyncEvent[] = [];
  let tooMany: (e: Error) => void = () => undefined;
  const runaway = new Promise<never>((_, reject) => (tooMany = reject));
  service.on((e) => {
    if (e.type !== 'applied') return;
    applied.push(e);
    if (applied.length > 5)
      tooMany(new Error(`${applied.length} applies in a row for one scan: the pair never settles`));
  });
  await service.start();
  const pair = ok(
    await service.addPair({
      source: src,
      target: dst,
      schedule: { kind: 'manual' },
      policy: { autoApprove: true, autoApproveDeletes: true, maxAutoDeletes: 100 },
    }),
  );
  ok(await Promise.race([service.scanNow(pair.id), runaway]));
  expect(fs.readdirSync(dst).sort()).toEqual(['.tandem', ...fs.readdirSync(src).sort()]);

  fs.mkdirSync(path.join(dst, 'stray'));
  fs.writeFileSync(path.join(dst, 'stray', 'notes.txt'), 'written on the target only');
  applied.length = 0;
  ok(await Promise.race([service.scanNow(pair.id), runaway]));

  expect(fs.readFileSync(path.join(dst, 'stray', 'notes.txt'), 'utf8')).toBe(
    'written on the target only',
  );
  const pending = ok(await service.listPending({ pairId: pair.id })).items;
  expect(pending.find((p) => p.path === 'stray/notes.txt')).toMatchObject({
    kind: 'delete',
    conflict: 'targetUnknown',
    approved: false,
  });
  const history = ok(await service.listHistory(pair.id));
  expect(
    history.filter((h) => h.path === 'stray' && h.outcome === 'applied'),
    'the history says the folder was deleted, yet it is there',
  ).toEqual([]);
});
