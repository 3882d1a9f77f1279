// Worker thread: lists one side of a pair while the main thread lists the other (the two lstat
// walks are the floor of an unchanged sync; on two cores they overlap), and sends the listing
// back packed: names in one string, numbers in one transferred Float64Array.
import { parentPort, workerData } from 'node:worker_threads';
import { packWalk, walkTree, type WalkOptions } from './walk.js';

const { root, side, opts } = workerData as {
  root: string;
  side: 'source' | 'target';
  opts: WalkOptions;
};
try {
  const packed = packWalk(walkTree(root, side, opts));
  parentPort!.postMessage({ ok: true, packed }, [packed.numbers.buffer as ArrayBuffer]);
} catch (e) {
  const err = e as NodeJS.ErrnoException;
  parentPort!.postMessage({ ok: false, message: err.message, code: err.code });
}
