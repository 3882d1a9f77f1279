// `tandem watch --two-way A B [--auto]`: a live two-way pair in the terminal. Both roots are
// watched (PairWatcher); each settled batch, each watcher rescan and an hourly timer start one
// two-way cycle (pair/twoWaySession), never two at once: a change during a cycle starts the next
// one after it. With --auto every one-way change is applied as it comes; conflicts are never
// resolved here: each is printed once and waits for `tandem sync --two-way` on a terminal (or
// --conflict). Without --auto each cycle only reports what is pending. With --auto a cycle lists
// only the folders of the paths the watcher named (TwoWaySession.planChanged) while the watcher
// has been up without a gap since a walk; a start, a watcher error or rescan, a hold, a failed
// cycle and the hourly timer make the next cycle walk both sides. Tandem's own writes do
// come back as watcher events; the cycle they start finds both sides agreeing with the baseline
// and writes nothing, so a write never bounces back and forth.
import { PairWatcher } from '../engine/watch/pairWatcher.js';
import { DEFAULT_SETTLE_MS } from '../engine/service/watcherFactory.js';
import { RESCAN_INTERVAL_MS } from '../engine/watch/watchLimits.js';
import { PairBusyError } from '../engine/pair/pairLock.js';
import { TwoWaySession } from '../engine/pair/twoWaySession.js';
import { formatChange, formatConflict } from './twoWay.js';
import { showPath } from './format.js';
import { readIgnoreFile } from '../engine/pair/syncSession.js';

export interface WatchTwoWayIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

function stamp(): string {
  return new Date().toTimeString().slice(0, 8);
}

/** Runs until `stop` resolves. Returns the exit code: 0 stopped, 2 could not start. */
export async function runWatchTwoWay(
  a: string,
  b: string,
  auto: boolean,
  io: WatchTwoWayIo,
  stop: Promise<void>,
  opts: { home?: string; threads?: number; settleMs?: number } = {},
): Promise<number> {
  // Opened once first: a refused pair (a one-way pair, a missing folder) stops here, in a line.
  const first = await TwoWaySession.open(a, b, {
    write: true,
    ...(opts.home ? { home: opts.home } : {}),
  });
  const roots = { a: first.sides.a.root, b: first.sides.b.root };
  await first.close();
  const watcher = new PairWatcher({
    source: roots.a,
    target: roots.b,
    ignore: [...readIgnoreFile(roots.a), ...readIgnoreFile(roots.b)],
    settleMs: opts.settleMs ?? DEFAULT_SETTLE_MS,
  });
  /** the cycle under way; a change meanwhile asks for one more after it */
  let current: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let ready = false;
  /** conflicts already printed, by path and both sides' ids: each is said once */
  const said = new Set<string>();
  /** conflicts waiting, by path (a live cycle sees those of its own paths only) */
  const waiting = new Set<string>();
  /**
   * Paths the watcher named since the last cycle. With --auto a cycle looks at those only
   * (planChanged), as the app's live cycles do, while the watcher has been up without a gap since
   * a cycle that walked both sides; without --auto every cycle walks, so what it says is pending
   * counts the whole pair.
   */
  let changed = new Set<string>();
  let walk = true;
  let lastLine = '';
  const say = (line: string) => {
    if (line !== lastLine) io.out(`${stamp()} ${ready ? '' : 'watching: '}${line}`);
    lastLine = line;
  };

  const cycle = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (current) {
      again = true;
      return current;
    }
    current = (async () => {
      try {
        do {
          again = false;
          await oneCycle();
        } while (again && !stopped);
      } finally {
        current = null;
      }
    })();
    return current;
  };

  const oneCycle = async (): Promise<void> => {
    let s: TwoWaySession | null = null;
    try {
      s = await TwoWaySession.open(roots.a, roots.b, {
        write: true,
        ...(opts.home ? { home: opts.home } : {}),
        ...(opts.threads !== undefined ? { threads: opts.threads } : {}),
      });
      const paths = changed;
      changed = new Set();
      const walks = walk || !auto;
      walk = false;
      let part: Awaited<ReturnType<TwoWaySession['planChanged']>> = null;
      part = walks ? null : await s.planChanged(paths);
      const plan = part?.plan ?? (await s.plan());
      if (part) {
        for (const p of waiting) if (part.covers(p)) waiting.delete(p);
      } else waiting.clear();
      for (const c of plan.conflicts) waiting.add(c.path);
      for (const c of plan.conflicts) {
        const key = `${c.path}\0${c.a?.id ?? ''}\0${c.b?.id ?? ''}`;
        if (said.has(key)) continue;
        said.add(key);
        io.out(`${stamp()} ${formatConflict(c)}`);
      }
      if (plan.holds.length) {
        walk = true; // held changes are looked at again whole, not only where the next event is
        say(`held: ${plan.holds.map((h) => h.message).join('; ')}`);
        return;
      }
      if (!auto || plan.changes.length === 0) {
        const n = plan.changes.length;
        const c = waiting.size;
        say(
          n === 0 && c === 0
            ? 'in sync'
            : `${n ? `${n} change${n === 1 ? '' : 's'} pending (run with --auto to apply them)` : 'no changes'}${c ? `, ${c} conflict${c === 1 ? '' : 's'} waiting (resolve with tandem sync --two-way on a terminal)` : ''}`,
        );
        return;
      }
      const r = await s.apply();
      for (const ch of plan.changes) io.out(`${stamp()} ${formatChange(ch)}`);
      for (const f of [...r.aToB.failed, ...r.bToA.failed])
        io.out(`${stamp()} failed: ${showPath(f.path)}: ${f.message}`);
      const stoppedWhy = r.aToB.stopped ?? r.bToA.stopped;
      if (stoppedWhy) io.out(`${stamp()} stopped: ${stoppedWhy}`);
      const c = waiting.size;
      lastLine = '';
      say(
        `applied ${r.aToB.applied} A → B, ${r.bToA.applied} B → A${c ? `; ${c} conflict${c === 1 ? '' : 's'} waiting` : ''}`,
      );
    } catch (e) {
      walk = true; // the paths this cycle took are looked at again
      if (e instanceof PairBusyError) {
        // Another Tandem holds a side: this cycle is tried again shortly.
        say(`busy: another Tandem is syncing this pair; trying again`);
        setTimeout(() => void cycle(), 2_000).unref();
        return;
      }
      say(`error: ${(e as Error).message}`);
    } finally {
      await s?.close();
    }
  };

  watcher.on('changes', (batch) => {
    for (const c of batch.changes) changed.add(c.path);
    void cycle();
  });
  // Events may have been missed: the next cycle walks both sides.
  watcher.on('rescan', () => {
    walk = true;
    void cycle();
  });
  watcher.on('error', (e, side) => {
    walk = true;
    io.err(`tandem: watcher (${side}): ${e.message}`);
  });
  const timer = setInterval(() => {
    walk = true; // the hourly walk of DESIGN's stale-id rule
    void cycle();
  }, RESCAN_INTERVAL_MS);
  timer.unref();
  try {
    await watcher.start();
    io.out(`${stamp()} watching A: ${showPath(roots.a)} and B: ${showPath(roots.b)} (two-way)`);
    await cycle();
    ready = true;
    await stop;
  } finally {
    stopped = true;
    clearInterval(timer);
    await watcher.close();
    await current;
  }
  return 0;
}
