// Records what a PairWatcher emits so a test can wait for it (a timeout, never a sleep).
import {
  PairWatcher,
  type ChangeBatch,
  type PairWatcherOptions,
} from '../engine/watch/pairWatcher.js';
import type { Side } from '../shared/plan.js';

export interface Seen extends ChangeBatch {
  at: number;
}

/** Records what a watcher emits and lets a test wait for it, with a timeout instead of sleeps. */
export class Recorder {
  readonly batches: Seen[] = [];
  readonly errors: Error[] = [];
  readonly rescans: Side[] = [];
  private wake: (() => void) | null = null;

  constructor(w: PairWatcher) {
    const poke = (): void => this.wake?.();
    w.on('changes', (b) => {
      this.batches.push({ ...b, at: performance.now() });
      poke();
    });
    w.on('error', (e) => {
      this.errors.push(e);
      poke();
    });
    w.on('rescan', (side) => {
      this.rescans.push(side);
      poke();
    });
  }

  /** The side's batches, each as sorted 'kind path' lines. */
  on(side: Side): string[][] {
    return this.batches.filter((b) => b.side === side).map((b) => show(b));
  }

  async until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!check()) {
      const left = deadline - performance.now();
      if (left <= 0)
        throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(this.batches)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }

  /** Waits for the side's next batch that mentions `rel`. */
  async batchWith(side: Side, rel: string, timeoutMs?: number): Promise<Seen> {
    const found = (): Seen | undefined =>
      this.batches.find((b) => b.side === side && b.changes.some((c) => c.path === rel));
    await this.until(`a ${side} batch with ${rel}`, () => found() !== undefined, timeoutMs);
    return found()!;
  }
}

export const show = (b: ChangeBatch): string[] =>
  b.changes.map((c) => `${c.kind} ${c.path}`).sort();

/**
 * Starts a PairWatcher with a Recorder listening from the first event; `started` collects it so
 * the test's cleanup can close it.
 */
export async function startRecorded(
  opts: PairWatcherOptions,
  started: PairWatcher[],
): Promise<{ w: PairWatcher; rec: Recorder }> {
  const w = new PairWatcher(opts);
  started.push(w);
  const rec = new Recorder(w);
  await w.start();
  return { w, rec };
}
