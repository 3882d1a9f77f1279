// A live pair whose target is on another machine, through a real sshd on 127.0.0.1 with this
// checkout's `tandem server` on the far side: the service watches the source, each cycle compares
// over ssh, auto-approved edits reach the far folder byte for byte, a far side that cannot be
// reached is said in the pair's status and tried again, and nothing named like the address is
// ever made locally.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type {
  PairConfig,
  PairStatus,
  Result,
  SyncEvent,
  WatcherHealth,
} from '../../shared/syncApi.js';
import { sshdSkipReason, startSshd, type SshdHandle } from '../../testing/sshd.js';
import { SyncService } from './syncService.js';
import { RemoteConnection } from '../remote/connection.js';
import { appVersion } from '../core/runtime/appVersion.js';
import { createWatcherFactory } from './watcherFactory.js';
import { writeOlderTandem } from '../../testing/cliRunner.js';

const skip = sshdSkipReason();
const TANDEM = fileURLToPath(new URL('../../../bin/tandem.js', import.meta.url));

const ok = <T>(r: Result<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};
const readOrNull = (p: string): string | null => {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return null;
  }
};

describe.skipIf(skip !== null)(
  `live pairs with a target on another machine${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let sshd: SshdHandle;
    let dir: string;
    let src: string;
    let far: string;
    let service: SyncService;
    let events: SyncEvent[];

    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(async () => {
      await sshd?.stop();
    });
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-remote-live-'));
      src = path.join(dir, 'src');
      far = path.join(dir, 'far');
      fs.mkdirSync(src);
      fs.writeFileSync(path.join(src, 'a.txt'), 'alpha');
      fs.mkdirSync(path.join(src, 'docs'));
      fs.writeFileSync(path.join(src, 'docs', 'b.txt'), 'beta');
    });
    afterEach(async () => {
      await service?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    /** Resolves once `pred` holds, checked on every event and every 100 ms; rejects after `ms`. */
    const until = (pred: () => boolean, ms: number, what: string): Promise<void> =>
      new Promise((resolve, reject) => {
        const t0 = Date.now();
        const check = () => {
          if (pred()) {
            clearInterval(timer);
            off();
            resolve();
          } else if (Date.now() - t0 > ms) {
            clearInterval(timer);
            off();
            reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
          }
        };
        const timer = setInterval(check, 100);
        const off = service.on(() => check());
        check();
      });

    /** The pair's watcher health as its last event said. */
    const healthOf = (id: string): WatcherHealth | undefined => {
      for (let i = events.length - 1; i >= 0; i--) {
        const e = events[i]!;
        if (e.type === 'watcherHealth' && e.pairId === id) return e.health;
      }
      return undefined;
    };

    const statusOf = async (id: string): Promise<PairStatus> =>
      ok(await service.status()).find((s) => s.pairId === id)!;

    async function startPair(target: string, more: Partial<PairConfig> = {}) {
      return startService({}, { source: src, target, ...more });
    }

    /** A service (with `opts`) running one auto-approved pair reached through this sshd. */
    async function startService(
      opts: Partial<ConstructorParameters<typeof SyncService>[0]>,
      pair: Partial<PairConfig> & { source: string; target: string },
    ) {
      service = new SyncService({
        home: path.join(dir, 'home'),
        threads: 0,
        watcherFactory: createWatcherFactory({ settleMs: 200 }),
        ...opts,
      });
      events = [];
      service.on((e) => events.push(e));
      return ok(
        await service.addPair({
          rsh: `ssh -F ${sshd.configFile}`,
          remoteTandem: TANDEM,
          policy: { autoApprove: true, autoApproveDeletes: true, maxAutoDeletes: 100 },
          ...pair,
        }),
      );
    }

    it('copies the source to the far folder, then carries each edit there on its own', async () => {
      const pair = await startPair(`${sshd.host}:${far}`);
      expect(pair.target).toBe(`${sshd.host}:${far}`);
      await until(
        () => readOrNull(path.join(far, 'docs', 'b.txt')) === 'beta',
        60_000,
        'the first copy on the far side',
      );
      expect(readOrNull(path.join(far, 'a.txt'))).toBe('alpha');
      // The source is watched here: an edit becomes a cycle, which carries it over ssh.
      fs.writeFileSync(path.join(src, 'docs', 'new.txt'), 'gamma');
      fs.rmSync(path.join(src, 'a.txt'));
      await until(
        () =>
          readOrNull(path.join(far, 'docs', 'new.txt')) === 'gamma' &&
          !fs.existsSync(path.join(far, 'a.txt')),
        60_000,
        'the edit and the deletion on the far side',
      );
      // The deleted file is kept in the far side's version store.
      const versions = path.join(far, '.tandem', 'versions');
      expect(fs.readdirSync(versions).length).toBeGreaterThan(0);
      // No folder named like the address is made here.
      expect(fs.existsSync(`${sshd.host}:${far}`)).toBe(false);
      const status = await statusOf(pair.id);
      expect(status.lastError).toBeUndefined();
      expect(status.watcher.mode).toBe('watching');
      // Versions of a push are on the far machine: listed there over ssh, and restored there.
      const listed = ok(await service.listVersions(pair.id, 'a.txt'));
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ pairId: pair.id, path: 'a.txt' });
      ok(await service.restoreVersion(pair.id, 'a.txt', listed[0]!.run, listed[0]!.stored));
      expect(readOrNull(path.join(far, 'a.txt'))).toBe('alpha');
      expect(ok(await service.listHistory(pair.id))[0]).toMatchObject({
        path: 'a.txt',
        outcome: 'restored',
      });
      // A name that is no version there is refused in a sentence, and nothing changes.
      const bad = await service.restoreVersion(pair.id, 'a.txt', 'no-such-run', 'x');
      expect(bad.ok).toBe(false);
      expect(readOrNull(path.join(far, 'a.txt'))).toBe('alpha');
    }, 120_000);

    it('pulls from a source on another machine into a local folder, compared on each cycle, its versions kept here', async () => {
      // The far source is `src` addressed through ssh; the target is a local folder. The far
      // Tandem is one of protocol 2, which cannot watch its folders: the timer compares the pair.
      const local = path.join(dir, 'local');
      const older = writeOlderTandem(dir, 2);
      const pair = await startService(
        // The far source is compared on a timer: after at least this, or twice the last
        // comparison's length (20 times by default, which would make this test wait).
        { pollMs: 200, pullDuty: 2 },
        { source: `${sshd.host}:${src}`, target: local, remoteTandem: older },
      );
      expect(pair.source).toBe(`${sshd.host}:${src}`);
      expect(pair.target).toBe(fs.realpathSync(dir) + '/local');
      await until(
        () => readOrNull(path.join(local, 'docs', 'b.txt')) === 'beta',
        60_000,
        'the first copy into the local folder',
      );
      expect(readOrNull(path.join(local, 'a.txt'))).toBe('alpha');
      const status = await statusOf(pair.id);
      expect(status.lastError).toBeUndefined();
      // The far side cannot watch: the pair is compared on a timer, and the status says why.
      await until(
        () => /cannot watch its folders/.test(healthOf(pair.id)?.problem ?? ''),
        60_000,
        "the far side's answer to the watch",
      );
      expect(status.watcher.mode).toBe('polling');

      // An edit and a deletion on the far source arrive with the next cycle.
      fs.writeFileSync(path.join(src, 'docs', 'new.txt'), 'gamma');
      fs.rmSync(path.join(src, 'a.txt'));
      ok(await service.scanNow(pair.id));
      await until(
        () =>
          readOrNull(path.join(local, 'docs', 'new.txt')) === 'gamma' &&
          !fs.existsSync(path.join(local, 'a.txt')),
        60_000,
        'the far edit and deletion in the local folder',
      );
      // The target is this machine's: its versions are listed and restored here.
      const listed = ok(await service.listVersions(pair.id, 'a.txt'));
      expect(listed.length).toBe(1);
      const mark = events.length;
      ok(await service.restoreVersion(pair.id, 'a.txt', listed[0]!.run, listed[0]!.stored));
      expect(readOrNull(path.join(local, 'a.txt'))).toBe('alpha');
      // The restore starts a cycle; once it has ended, only the timer starts the next one.
      const states = () =>
        events
          .slice(mark)
          .flatMap((e) =>
            e.type === 'pairStatus' && e.status.pairId === pair.id ? [e.status.state] : [],
          );
      await until(
        () => {
          const st = states();
          const i = st.indexOf('scanning');
          return i >= 0 && st.slice(i + 1).some((x) => x !== 'scanning' && x !== 'syncing');
        },
        60_000,
        'the cycle the restore started to end',
      );
      // Without a request, the timer compares the pair again and brings the next far edit.
      fs.writeFileSync(path.join(src, 'later.txt'), 'delta');
      await until(
        () => readOrNull(path.join(local, 'later.txt')) === 'delta',
        90_000,
        'the next timed comparison',
      );
      // The far source was only read.
      expect(fs.existsSync(path.join(src, '.tandem'))).toBe(false);
      expect(fs.existsSync(path.join(src, 'a.txt'))).toBe(false);
    }, 150_000);

    it('a far source is watched by the Tandem there: its edits come without a timer, and those made while the watch was lost come once it is back', async () => {
      const local = path.join(dir, 'local');
      const pair = await startService(
        // No timer could bring an edit within this test: only the far side's watch can. A file
        // is taken as soon as it is seen (no second look a second later, which is a cycle too).
        { pollMs: 3_600_000, quietMs: 0, farWatchRetry: { first: 3000, max: 3000 } },
        { source: `${sshd.host}:${src}`, target: local },
      );
      await until(
        () => readOrNull(path.join(local, 'docs', 'b.txt')) === 'beta',
        60_000,
        'the first copy',
      );
      const watching = () => healthOf(pair.id)?.mode === 'watching';
      await until(watching, 60_000, 'the far side to watch the source');
      const sshChildren = (...more: string[]) =>
        spawnSync('pgrep', [...more, '-P', String(process.pid), '-x', 'ssh'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean);
      const stateOf = () =>
        events
          .flatMap((e) =>
            e.type === 'pairStatus' && e.status.pairId === pair.id ? [e.status.state] : [],
          )
          .pop();
      // After an apply the pair is compared once more (its trees are stale): each edit below is
      // made once that cycle has ended, so that only the watch can bring it.
      const settled = () =>
        until(
          () => stateOf() === 'inSync' && sshChildren().length === 1,
          60_000,
          'the pair in sync with only the watch connected',
        );
      await settled();
      // An edit on the far side: its watch starts the cycle.
      fs.writeFileSync(path.join(src, 'docs', 'watched.txt'), 'seen there');
      await until(
        () => readOrNull(path.join(local, 'docs', 'watched.txt')) === 'seen there',
        60_000,
        'the watched edit in the local folder',
      );
      await settled();
      // The watch's connection is cut: its ssh is the oldest one (a cycle's lasts that cycle).
      const [watchSsh] = sshChildren('-o');
      expect(watchSsh).toBeDefined();
      spawnSync('kill', ['-9', watchSsh!]);
      await until(
        () => healthOf(pair.id)?.mode === 'polling',
        60_000,
        'the lost watch in the status',
      );
      expect(healthOf(pair.id)?.problem).toMatch(/the watch of .* ended/);
      // No cycle runs now (one a late event of the watch began would see the next edit).
      await until(() => sshChildren().length === 0, 60_000, 'the cycles to end');
      // An edit while no watch is up (the next try is 3 s away): nothing sees it happen, and
      // the comparison made once the watch is back finds it.
      fs.writeFileSync(path.join(src, 'gap.txt'), 'made in the gap');
      await until(
        () => readOrNull(path.join(local, 'gap.txt')) === 'made in the gap',
        60_000,
        "the gap's edit in the local folder",
      );
      await until(watching, 60_000, 'the watch to be up again');
      // No cycle failed on the way (a failed one is tried again, and would find the edit too).
      expect((await statusOf(pair.id)).lastError).toBeUndefined();
      expect(fs.existsSync(path.join(src, '.tandem'))).toBe(false);
    }, 150_000);

    it('pausing a pull pair ends its cycle at once, even one waiting on the far side', async () => {
      // A far tandem that waits for the test's word before it starts: the cycle is stuck in the
      // connection's greeting until the pause stops ssh.
      const started = path.join(dir, 'gate-started');
      const release = path.join(dir, 'gate-release');
      const gate = path.join(dir, 'gated-tandem');
      fs.writeFileSync(
        gate,
        `#!/bin/sh\ntouch ${started}\nwhile [ ! -e ${release} ]; do sleep 0.05; done\nexec ${TANDEM} "$@"\n`,
        { mode: 0o755 },
      );
      const local = path.join(dir, 'local');
      const pair = await startService(
        {},
        { source: `${sshd.host}:${src}`, target: local, remoteTandem: gate },
      );
      await until(() => fs.existsSync(started), 60_000, 'the far side to be reached');
      ok(await service.pausePair(pair.id, true));
      await until(
        () =>
          events.some(
            (e) =>
              e.type === 'pairStatus' && e.status.pairId === pair.id && e.status.state === 'paused',
          ),
        60_000,
        'the paused state',
      );
      // The cycle's ssh (a child of this process, which runs the service) is stopped: the cycle
      // does not wait on for a far side that may never answer.
      const sshChildren = () =>
        spawnSync('pgrep', ['-P', String(process.pid), '-x', 'ssh'], { encoding: 'utf8' })
          .stdout.split('\n')
          .filter(Boolean);
      await until(() => sshChildren().length === 0, 60_000, "the paused cycle's ssh to end");
      const status = await statusOf(pair.id);
      expect(status.state).toBe('paused');
      expect(status.lastError).toBeUndefined();
      expect(readOrNull(path.join(local, 'a.txt'))).toBeNull();
      // Resumed with the far side answering, the pair converges.
      fs.writeFileSync(release, '');
      ok(await service.pausePair(pair.id, false));
      await until(
        () => readOrNull(path.join(local, 'docs', 'b.txt')) === 'beta',
        60_000,
        'the pull after resuming',
      );
    }, 150_000);

    it('says a far side it cannot reach in the pair status, and tries again', async () => {
      const pair = await startPair(`nowhere.invalid:${far}`, {
        rsh: 'ssh -o ConnectTimeout=5',
      });
      await until(
        () =>
          events.some(
            (e) =>
              e.type === 'pairStatus' &&
              e.status.pairId === pair.id &&
              /cannot reach nowhere\.invalid over ssh.*trying again in 5 s/.test(
                e.status.lastError ?? '',
              ),
          ),
        60_000,
        'the failure in the status',
      );
      expect(fs.existsSync(far)).toBe(false);
    }, 90_000);

    it('waits while another Tandem holds the far pair, then syncs it', async () => {
      fs.mkdirSync(far);
      // Another session holds the far folder's lock: a connection of the test's own.
      const holder = await RemoteConnection.open(
        { kind: 'remote', host: sshd.host, path: far },
        {
          rsh: ['ssh', ...sshd.sshArgs()],
          remoteTandem: TANDEM,
          batch: true,
          version: appVersion(),
        },
      );
      let released = false;
      try {
        await holder.request({
          t: 'openTarget',
          path: far,
          sourceLabel: 'another:/source',
          write: true,
          confirmTarget: true,
          scheme: 'xxh128',
          ignore: [],
        });
        const pair = await startPair(`${sshd.host}:${far}`);
        await until(
          () =>
            events.some(
              (e) =>
                e.type === 'pairStatus' &&
                e.status.pairId === pair.id &&
                /pair busy .*retrying in a few seconds/.test(e.status.lastError ?? ''),
            ),
          60_000,
          'the busy pair in the status',
        );
        expect(fs.existsSync(path.join(far, 'a.txt'))).toBe(false);
        await holder.close();
        released = true;
        await until(
          () => readOrNull(path.join(far, 'a.txt')) === 'alpha',
          60_000,
          'the sync once the far pair is free',
        );
      } finally {
        if (!released) await holder.close();
      }
    }, 120_000);

    it('refuses hard links and owners for a remote target, and keeps attributes and ACLs', async () => {
      service = new SyncService({ home: path.join(dir, 'home'), threads: 0, watcherFactory: null });
      for (const k of ['owners', 'hardLinks'] as const) {
        const r = await service.addPair({ source: src, target: `${sshd.host}:${far}`, [k]: true });
        expect(r.ok, k).toBe(false);
        if (!r.ok) expect(r.error.message).toMatch(/not yet kept for a folder on another machine/);
      }
      const p = ok(
        await service.addPair({
          source: src,
          target: `${sshd.host}:${far}`,
          xattrs: true,
          acls: true,
        }),
      );
      expect(p).toMatchObject({ xattrs: true, acls: true, owners: false, hardLinks: false });
      const later = await service.updatePair(p.id, { owners: true });
      expect(later.ok).toBe(false);
    });
  },
);
