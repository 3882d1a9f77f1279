// Worker thread: lists one side of a pair while the main thread lists the other (the two lstat
// walks are the floor of an unchanged sync; on two cores they overlap), and sends the listing
// back packed: names in one string, numbers in one transferred Float64Array. Its job comes as its
// workerData, or, where it was started before the job was known (listerWorker), as its first
// message.
import { parentPort, workerData } from 'node:worker_threads';
import { packWalk, walkTree, type WalkOptions } from './walk.js';

interface Job {
  root: string;
  side: 'source' | 'target';
  opts: WalkOptions;
}

function list({ root, side, opts }: Job): void {
  try {
    const packed = packWalk(walkTree(root, side, opts));
    parentPort!.postMessage({ ok: true, packed }, [packed.numbers.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    parentPort!.postMessage({ ok: false, message: err.message, code: err.code });
  }
}

if (workerData) list(workerData as Job);
else parentPort!.once('message', (job: Job) => list(job));
