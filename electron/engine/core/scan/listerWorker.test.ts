// The listing worker started before its job (listerWorker, as bin/tandem.js does for sync and
// diff) lists what walkTree lists; a second listing, with no warm worker left, starts its own.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLister } from './listerWorker.js';
import { walkInWorker } from './walkInWorker.js';
import { walkTree, type WalkResult } from './walk.js';
import { makeSandbox, putFile, type Sandbox } from '../../../testing/sandbox.js';

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox('lister');
  putFile(sb.source, 'a/b.txt', 'b\n');
  putFile(sb.source, 'c.txt', 'c\n');
});
afterEach(() => sb.cleanup());

const shape = (w: WalkResult): string[] =>
  [...w.entries].map(([p, e]) => `${p} ${e.type} ${e.size} ${e.mtimeMs} ${e.ino}`).sort();

describe('the listing worker started early', () => {
  it('lists what walkTree lists, and a later listing starts a worker of its own', async () => {
    startLister();
    const want = shape(walkTree(sb.source, 'source'));
    expect(shape(await walkInWorker(sb.source, 'source', {}))).toEqual(want);
    expect(shape(await walkInWorker(sb.source, 'source', {}))).toEqual(want);
  });

  it('reports a listing that fails, rather than hanging', async () => {
    startLister();
    await expect(walkInWorker(`${sb.base}/missing`, 'target', {})).rejects.toThrow(
      /listing the target failed/,
    );
  });
});
