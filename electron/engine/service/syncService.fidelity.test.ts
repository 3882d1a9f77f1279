// The fidelity settings of a live pair (extended attributes, ACLs, hard links, owners) on real
// temp folders, driven through the SyncApi: what a new pair keeps, that each setting reaches the
// sessions the service opens, and that changing it through updatePair takes effect next cycle.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AddPairInput, PairConfig, Result } from '../../shared/syncApi.js';
import { xattrModule } from '../core/scan/xattrs.js';
import { SyncService } from './syncService.js';

let dir: string;
let src: string;
let dst: string;
let service: SyncService;

const ok = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
};
const at = (root: string, rel: string) => path.join(root, rel);
const x = xattrModule();
const attr = (p: string, name: string): string | null =>
  x!.getAttributeSync(p, name)?.toString('utf8') ?? null;

/** Why this machine's temp folder cannot hold user.* attributes, or null where it can. */
function userXattrsRefused(): string | null {
  if (!x) return '@napi-rs/xattr does not load on this platform';
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-xattr-probe-'));
  try {
    fs.writeFileSync(at(probe, 'f'), '');
    x.setAttributeSync(at(probe, 'f'), 'user.tandem-probe', Buffer.from('1'));
    return null;
  } catch (e) {
    return `the temp folder's filesystem refuses user.* attributes (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}
const noXattrs = userXattrsRefused();
const hasSetfacl = (() => {
  try {
    execFileSync('sh', ['-c', 'command -v setfacl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const isRoot = process.getuid?.() === 0;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-fidelity-'));
  src = at(dir, 'src');
  dst = at(dir, 'dst');
  fs.mkdirSync(src);
  service = new SyncService({ home: at(dir, 'home'), threads: 0, quietMs: 0 });
  await service.start();
});
afterEach(async () => {
  await service.stop();
  vi.restoreAllMocks();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A pair that applies what it may on its own, scanned only when asked. */
const autoPair = async (settings: Partial<AddPairInput> = {}): Promise<PairConfig> =>
  ok(
    await service.addPair({
      source: src,
      target: dst,
      schedule: { kind: 'manual' },
      policy: { autoApprove: true, autoApproveDeletes: false, maxAutoDeletes: 100 },
      ...settings,
    }),
  );

describe('fidelity settings of a live pair', () => {
  it('a pair made in the app keeps attributes, ACLs, hard links and owners; one `tandem watch` registers keeps what its index remembers', async () => {
    const made = await autoPair();
    const attrs = x !== null;
    expect([made.xattrs, made.acls, made.hardLinks, made.owners]).toEqual([
      attrs,
      attrs,
      true,
      true,
    ]);
    // watchPair is `tandem watch`: a pair the CLI never synced with -X, -A, -H or --owner.
    fs.mkdirSync(at(dir, 'src2'));
    const watched = ok(
      await service.watchPair({ source: at(dir, 'src2'), target: at(dir, 'dst2') }, null),
    );
    expect([watched.xattrs, watched.acls, watched.hardLinks, watched.owners]).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('reproduces a hard-link group once hardLinks is turned on, and not before', async () => {
    fs.writeFileSync(at(src, 'a.txt'), 'one file, two names');
    fs.linkSync(at(src, 'a.txt'), at(src, 'b.txt'));
    const pair = await autoPair({ hardLinks: false });
    ok(await service.scanNow(pair.id));
    expect(fs.readFileSync(at(dst, 'b.txt'), 'utf8')).toBe('one file, two names');
    expect(fs.statSync(at(dst, 'b.txt')).ino).not.toBe(fs.statSync(at(dst, 'a.txt')).ino);
    expect(ok(await service.listPending({ pairId: pair.id })).total).toBe(0);

    expect(ok(await service.updatePair(pair.id, { hardLinks: true })).hardLinks).toBe(true);
    ok(await service.scanNow(pair.id));
    expect(fs.statSync(at(dst, 'b.txt')).ino).toBe(fs.statSync(at(dst, 'a.txt')).ino);
    expect(fs.statSync(at(dst, 'a.txt')).nlink).toBe(2);
    expect(ok(await service.listPending({ pairId: pair.id })).total).toBe(0);
    const history = ok(await service.listHistory(pair.id));
    // The history says what b.txt became, which its path does not.
    expect(history[0]).toMatchObject({ path: 'b.txt', outcome: 'applied', linkTo: 'a.txt' });
  });

  describe.skipIf(noXattrs !== null)(
    `extended attributes${noXattrs ? ` (skipped: ${noXattrs})` : ''}`,
    () => {
      it('syncs a user.* attribute with xattrs on, leaves it alone while off, and syncs it again once on', async () => {
        fs.writeFileSync(at(src, 'a.txt'), 'alpha');
        fs.mkdirSync(at(src, 'docs'));
        x!.setAttributeSync(at(src, 'a.txt'), 'user.tag', Buffer.from('red'));
        x!.setAttributeSync(at(src, 'docs'), 'user.where', Buffer.from('folder'));
        const pair = await autoPair();
        ok(await service.scanNow(pair.id));
        expect(attr(at(dst, 'a.txt'), 'user.tag')).toBe('red');
        expect(attr(at(dst, 'docs'), 'user.where')).toBe('folder');

        ok(await service.updatePair(pair.id, { xattrs: false }));
        x!.setAttributeSync(at(src, 'a.txt'), 'user.tag', Buffer.from('blue'));
        ok(await service.scanNow(pair.id));
        expect(attr(at(dst, 'a.txt'), 'user.tag')).toBe('red');
        expect(ok(await service.listPending({ pairId: pair.id })).total).toBe(0);

        ok(await service.updatePair(pair.id, { xattrs: true }));
        ok(await service.scanNow(pair.id));
        expect(attr(at(dst, 'a.txt'), 'user.tag')).toBe('blue');
        expect(ok(await service.listHistory(pair.id))[0]).toMatchObject({
          path: 'a.txt',
          kind: 'metadata',
          outcome: 'applied',
          differs: ['xattr'],
        });
      });

      it.skipIf(!hasSetfacl)(
        'syncs a POSIX ACL (system.posix_acl_access) with acls on (needs setfacl)',
        async () => {
          fs.writeFileSync(at(src, 'shared.txt'), 'for the group');
          execFileSync('setfacl', ['-m', 'u:nobody:rw', at(src, 'shared.txt')]);
          const pair = await autoPair({ xattrs: false, acls: true });
          ok(await service.scanNow(pair.id));
          const acl = (p: string) => x!.getAttributeSync(p, 'system.posix_acl_access');
          expect(acl(at(dst, 'shared.txt'))).toEqual(acl(at(src, 'shared.txt')));
          expect(fs.statSync(at(dst, 'shared.txt')).mode).toBe(
            fs.statSync(at(src, 'shared.txt')).mode,
          );
        },
      );
    },
  );

  describe.skipIf(!isRoot)('owners (needs root to give files to another owner)', () => {
    it('gives target files the source’s owner with owners on, and not with it off', async () => {
      fs.writeFileSync(at(src, 'a.txt'), 'alpha');
      fs.chownSync(at(src, 'a.txt'), 65534, 65534);
      const pair = await autoPair({ owners: false });
      ok(await service.scanNow(pair.id));
      expect(fs.statSync(at(dst, 'a.txt')).uid).toBe(0);

      ok(await service.updatePair(pair.id, { owners: true }));
      ok(await service.scanNow(pair.id));
      const st = fs.statSync(at(dst, 'a.txt'));
      expect([st.uid, st.gid]).toEqual([65534, 65534]);
    });

    it('without root, says once in the pair’s status that owners are not kept, in the app’s words', async () => {
      fs.writeFileSync(at(src, 'a.txt'), 'alpha');
      fs.writeFileSync(at(src, 'b.txt'), 'bravo');
      for (const f of ['a.txt', 'b.txt']) fs.chownSync(at(src, f), 65534, 65534);
      // As a user who is not root: the engine asks process.getuid whether it may chown.
      vi.spyOn(process, 'getuid').mockReturnValue(1000);
      const pair = await autoPair();
      ok(await service.scanNow(pair.id));
      expect(fs.readFileSync(at(dst, 'a.txt'), 'utf8')).toBe('alpha');
      const [st] = ok(await service.status()).filter((s) => s.pairId === pair.id);
      expect(st!.notices).toEqual([
        'owners are not kept: 2 entries have another owner or group than in the source, and only root may give files to another owner (run as root, or turn off “Keep owners and groups” in Settings)',
      ]);
      expect(st!.state).toBe('inSync');

      ok(await service.updatePair(pair.id, { owners: false }));
      ok(await service.scanNow(pair.id));
      const [after] = ok(await service.status()).filter((s) => s.pairId === pair.id);
      expect(after!.notices).toBeUndefined();
    });
  });

  it('refuses a setting that is not true or false', async () => {
    const pair = await autoPair();
    const r = await service.updatePair(pair.id, { hardLinks: 'yes' as unknown as boolean });
    expect(r).toEqual({
      ok: false,
      error: { code: 'refused', message: 'hardLinks must be true or false' },
    });
  });
});
