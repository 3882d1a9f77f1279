// Runs walkTree in a worker thread, so both sides of a pair are listed at once.
import { unpackWalk, type PackedWalk, type WalkOptions, type WalkResult } from './walk.js';
import { listerFor } from './listerWorker.js';

export function walkInWorker(
  root: string,
  side: 'source' | 'target',
  opts: WalkOptions,
): Promise<WalkResult> {
  return listInWorker(root, side, opts).then((p) => unpackWalk(p));
}

/** The same listing as it comes from the worker, packed (unpackWalk can leave entries out). */
export function listInWorker(
  root: string,
  side: 'source' | 'target',
  opts: WalkOptions,
): Promise<PackedWalk> {
  return new Promise((resolve, reject) => {
    const worker = listerFor({ root, side, opts });
    worker.once(
      'message',
      (m: { ok: true; packed: PackedWalk } | { ok: false; message: string; code?: string }) => {
        void worker.terminate();
        if (m.ok) resolve(m.packed);
        else
          reject(
            Object.assign(new Error(`listing the ${side} failed: ${m.message}`), { code: m.code }),
          );
      },
    );
    worker.once('error', (e) => reject(new Error(`listing the ${side} failed`, { cause: e })));
    // A worker that stops without answering (killed, out of memory) must not leave a hang.
    worker.once('exit', (code) =>
      reject(new Error(`listing the ${side} failed: its worker stopped (exit code ${code})`)),
    );
  });
}
