// `npm run bench:live`: the live service on the benchmark's 20,000-file tree: watcher start time
// and memory, edit → pending and edit → applied latency (the targets: ≤ 1 s and ≤ 2 s after
// the file settles; a file settles once it has not been written for QUIET_MS), and the same for a
// two-way pair with auto-approve, edits made on A and B by turns (issue 13: within the live-pair
// goal, ≤ 1.5 s after the file's last write).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SyncEvent } from '../electron/shared/syncApi.js';
import { PairWatcher } from '../electron/engine/watch/pairWatcher.js';
import { SyncService } from '../electron/engine/service/syncService.js';
import { createWatcherFactory } from '../electron/engine/service/watcherFactory.js';
import { planTree, writeTree } from './data.js';
import { log } from './log.js';
import { median } from './measure.js';

const QUIET_MS = 1_000;
const EDITS = Number(process.env.BENCH_EDITS ?? 5);
const scale = Number(process.env.BENCH_SCALE ?? 1);

function waitFor(
  service: SyncService,
  pred: (e: SyncEvent) => boolean,
  ms: number,
): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${ms} ms`));
    }, ms);
    const off = service.on((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(performance.now() - t0);
    });
  });
}

async function main(): Promise<void> {
  const base = fs.mkdtempSync(
    path.join(fs.existsSync('.bench-data') ? '.bench-data' : os.tmpdir(), 'live-'),
  );
  const src = path.join(base, 'src');
  try {
    const plan = planTree(scale);
    log(`bench:live: writing ${plan.files.length} files…`);
    writeTree(src, plan);

    // Watcher start time and memory on the tree (both sides: source and an equal-sized target).
    const dst0 = path.join(base, 'watch-target');
    fs.cpSync(src, dst0, { recursive: true });
    const rss0 = process.memoryUsage().rss;
    let t = performance.now();
    const w = new PairWatcher({ source: src, target: dst0 });
    w.on('error', () => undefined);
    await w.start();
    const startMs = performance.now() - t;
    const rssMb = (process.memoryUsage().rss - rss0) / 1048576;
    await w.close();
    fs.rmSync(dst0, { recursive: true, force: true });

    const rows: string[] = [];
    for (const kind of ['manual', 'auto', 'twoWay'] as const) {
      const auto = kind !== 'manual';
      const twoWay = kind === 'twoWay';
      const dst = path.join(base, `dst-${kind}`);
      // Both pairs start in sync (the manual one from a plain copy), so each edit is measured
      // against a pair with nothing else pending.
      if (!auto) fs.cpSync(src, dst, { recursive: true, preserveTimestamps: true });
      const service = new SyncService({
        home: path.join(base, `home-${kind}`),
        watcherFactory: createWatcherFactory(),
        quietMs: QUIET_MS,
      });
      t = performance.now();
      const added = await service.addPair({
        source: src,
        target: dst,
        policy: { autoApprove: auto, autoApproveDeletes: false, maxAutoDeletes: 0 },
        ...(twoWay ? { mode: 'twoWay' as const } : {}),
      });
      if (!added.ok) throw new Error(added.error.message);
      const pairId = added.value.id;
      await waitFor(
        service,
        (e) =>
          e.type === 'pairStatus' && (e.status.state === 'inSync' || e.status.state === 'pending'),
        600_000,
      );
      const firstMs = performance.now() - t;
      // Edits are measured once the watcher is up (the first scan does not wait for it).
      const health = await service.watcherHealth(pairId);
      if (!health.ok || health.value.mode !== 'watching')
        await waitFor(
          service,
          (e) => e.type === 'watcherHealth' && e.pairId === pairId && e.health.mode === 'watching',
          600_000,
        );
      // …and once the rescan that follows the watcher's start has finished: the steady state.
      for (let idle = 0; idle < 3;) {
        await new Promise((r) => setTimeout(r, 100));
        const st = await service.status();
        const state = st.ok ? st.value.find((x) => x.pairId === pairId)?.state : undefined;
        idle = state === 'inSync' || state === 'pending' ? idle + 1 : 0;
      }
      const lat: number[] = [];
      for (let i = 0; i < EDITS; i++) {
        await new Promise((r) => setTimeout(r, 1_500));
        const rel = `d${i % 20}/s${i}/edit-${kind}-${i}.txt`;
        // A two-way pair's edits are made on A and on B by turns, and must reach the other side.
        const [from, to] = twoWay && i % 2 === 1 ? [dst, src] : [src, dst];
        fs.mkdirSync(path.dirname(path.join(from, rel)), { recursive: true });
        const content = `edit ${i} ${Date.now()}`;
        const arrived = (): boolean => {
          try {
            return fs.readFileSync(path.join(to, rel), 'utf8') === content;
          } catch {
            return false;
          }
        };
        // An applied event may carry only the folder's new mtime while the file still settles:
        // the one that counts leaves the file's bytes on the other side.
        const done = auto
          ? waitFor(
              service,
              (e) => e.type === 'applied' && e.pairId === pairId && arrived(),
              30_000,
            )
          : waitFor(
              service,
              (e) => e.type === 'pendingChanged' && e.added.some((p) => p.path === rel),
              30_000,
            );
        fs.writeFileSync(path.join(from, rel), content);
        lat.push((await done) - QUIET_MS);
        if (
          auto &&
          fs.readFileSync(path.join(to, rel), 'utf8') !==
            fs.readFileSync(path.join(from, rel), 'utf8')
        ) {
          throw new Error(`${rel} did not arrive on the other side intact`);
        }
      }
      await service.stop();
      if (twoWay) {
        // From the file's last write (the quiet rule included), as the live-pair goal is set.
        const fromWrite = lat.map((x) => x + QUIET_MS);
        rows.push(
          `${'two-way applied'.padEnd(16)} first sync ${(firstMs / 1000).toFixed(2)} s; from the last write (A and B by turns): median ${median(fromWrite).toFixed(0)} ms, max ${Math.max(...fromWrite).toFixed(0)} ms over ${EDITS} edits  ${median(fromWrite) <= 1_500 ? 'PASS' : 'FAIL'} (goal ≤ 1500 ms)`,
        );
        continue;
      }
      const what = auto ? 'edit → applied' : 'edit → pending';
      const target = auto ? 2_000 : 1_000;
      rows.push(
        `${what.padEnd(16)} first scan ${(firstMs / 1000).toFixed(2)} s; after settling: median ${median(lat).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms over ${EDITS} edits  ${median(lat) <= target ? 'PASS' : 'FAIL'} (target ≤ ${target} ms)`,
      );
    }
    process.stdout.write(
      [
        '',
        `Live pairs — ${plan.files.length} files, node ${process.version}, ${os.cpus().length} CPUs; a file settles ${QUIET_MS} ms after its last write`,
        `watcher start  ${startMs.toFixed(0)} ms for source + target; RSS +${rssMb.toFixed(0)} MiB`,
        ...rows,
        '',
      ].join('\n'),
    );
  } finally {
    fs.rmSync(base, { recursive: true, force: true });
  }
}

await main();
