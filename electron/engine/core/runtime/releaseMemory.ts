// A full garbage collection, on request. A live pair's walk of a large tree leaves hundreds of
// megabytes of garbage (listings, index rows, trees), and an idle service allocates too little
// for V8 to collect it soon: measured on 100,000 files (a warm start), the heap still held
// 275 MiB 10 s after the walk (RSS 491 MiB) until V8's idle memory reducer ran, between 10 and
// 30 s; collected at once after the walk, 9 MiB (RSS 237 MiB 10 s later). The collection costs
// what is alive, not what is garbage: tens of milliseconds.
import v8 from 'node:v8';
import vm from 'node:vm';

let collect: (() => void) | null | undefined;

/** Collects garbage now where the runtime allows it; a no-op elsewhere. */
export function releaseMemory(): void {
  if (collect === undefined) {
    try {
      const exposed = (globalThis as { gc?: () => void }).gc;
      if (exposed) collect = exposed;
      else {
        // A context made after the flag is set has `gc` (Node's documented way to enable it).
        v8.setFlagsFromString('--expose-gc');
        collect = vm.runInNewContext('gc') as () => void;
      }
    } catch {
      collect = null;
    }
  }
  collect?.();
}
