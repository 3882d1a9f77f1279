// walkInWorker without a worker, for tests that plan thousands of times: the same walkTree and
// pack/unpack the worker runs, in this thread (a worker per plan was two thirds of the property
// tests' CPU time, about 30 ms a plan). A test swaps it in with
//   vi.mock('../core/scan/walkInWorker.js', () => import('../../testing/walkInThread.js'));
import {
  packWalk,
  unpackWalk,
  walkTree,
  type PackedWalk,
  type WalkOptions,
  type WalkResult,
} from '../engine/core/scan/walk.js';

export function walkInWorker(
  root: string,
  side: 'source' | 'target',
  opts: WalkOptions,
): Promise<WalkResult> {
  return Promise.resolve().then(() => unpackWalk(packWalk(walkTree(root, side, opts))));
}

export function listInWorker(
  root: string,
  side: 'source' | 'target',
  opts: WalkOptions,
): Promise<PackedWalk> {
  // Through structured cloning, as a worker's message is (the folders' digests become Uint8Arrays).
  return Promise.resolve().then(() => structuredClone(packWalk(walkTree(root, side, opts))));
}
