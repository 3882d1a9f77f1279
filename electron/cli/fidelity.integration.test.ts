// Everything a file is, end to end through `tandem` on real folders: special files on the target
// (removed or replaced, never opened) and sparse files (holes kept).
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { cliMissingReason, describeRun, parseJsonOutput, runCli } from '../testing/cliRunner.js';
import {
  listenUnixSocket,
  makeSandbox,
  mkfifo,
  writeTree,
  type Sandbox,
} from '../testing/sandbox.js';
import { diffTrees } from '../testing/treeSnapshot.js';

let sb: Sandbox;
const servers: net.Server[] = [];

beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('fidelity');
});
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  sb.cleanup();
});

const cli = (...args: string[]) =>
  runCli(args, { home: sb.home, timeoutMs: 120_000, cwd: sb.base });

interface SyncOutput {
  plan: Plan;
  result: ApplyResult | null;
}

describe('special files on the target', () => {
  it('replaces a FIFO and a socket where the source has a file and a folder, and removes one where it has nothing, in one run, never opening them', async () => {
    // Entries both sides share, so that the deletions stay under the mass-deletion hold.
    const shared = { 'k1.txt': '1', 'k2.txt': '2', 'k3.txt': '3', 'k4.txt': '4' };
    writeTree(sb.source, {
      ...shared,
      'pipe-here': 'a file now',
      'sock-here': { 'inner.txt': 'in a folder' },
    });
    writeTree(sb.target, shared);
    mkfifo(path.join(sb.target, 'pipe-here'));
    servers.push(await listenUnixSocket(path.join(sb.target, 'sock-here')));
    mkfifo(path.join(sb.target, 'stray-pipe'));
    fs.mkdirSync(path.join(sb.target, 'old-folder'));
    mkfifo(path.join(sb.target, 'old-folder', 'pipe'));
    // A FIFO opened for reading would block until a writer came: the run would time out.
    const run = await cli('sync', sb.source, sb.target, '--yes', '--json');
    expect(run.timedOut, describeRun(run)).toBe(false);
    expect(run.code, describeRun(run)).toBe(0);
    const out = parseJsonOutput<SyncOutput>(run);
    const kinds = Object.fromEntries(out.plan.items.map((i) => [i.path, i.kind]));
    expect(kinds).toMatchObject({
      'pipe-here': 'replaceType',
      'sock-here': 'replaceType',
      'stray-pipe': 'delete',
      'old-folder/pipe': 'delete',
    });
    // They hold no data: nothing to approve as a conflict, nothing kept as a version.
    expect(out.plan.items.filter((i) => i.conflict)).toEqual([]);
    expect(out.result?.failed).toEqual([]);
    expect(diffTrees(sb.source, sb.target)).toEqual([]);
    const again = await cli('diff', sb.source, sb.target);
    expect(again.code, describeRun(again)).toBe(0);
  });

  it('skips a special file in the source with its reason and leaves the target alone there', async () => {
    writeTree(sb.source, { 'a.txt': 'a' });
    mkfifo(path.join(sb.source, 'fifo'));
    writeTree(sb.target, { fifo: 'the target keeps this' });
    const run = await cli('sync', sb.source, sb.target, '--yes', '--json');
    const out = parseJsonOutput<SyncOutput>(run);
    expect(out.plan.skipped).toContainEqual(
      expect.objectContaining({ side: 'source', path: 'fifo', unknown: false }),
    );
    expect(out.plan.skipped.find((s) => s.path === 'fifo')?.reason).toMatch(/FIFO/);
    expect(fs.readFileSync(path.join(sb.target, 'fifo'), 'utf8')).toBe('the target keeps this');
  });
});

describe('sparse files', () => {
  it('copies a 1 GiB file holding 4 MiB of data into a target that allocates under 8 MiB, byte for byte, and says so in the plan', async () => {
    const GiB = 1024 * 1024 * 1024;
    const src = path.join(sb.source, 'disk.img');
    fs.mkdirSync(sb.source, { recursive: true });
    const fd = fs.openSync(src, 'w');
    const data = Buffer.alloc(1024 * 1024, 0x5a);
    for (const at of [0, 300, 700, 1023]) fs.writeSync(fd, data, 0, data.length, at * 1024 * 1024);
    fs.ftruncateSync(fd, GiB);
    fs.closeSync(fd);
    expect(fs.statSync(src).blocks * 512).toBeLessThan(8 * 1024 * 1024);

    const run = await cli('sync', sb.source, sb.target, '--yes', '--json');
    expect(run.code, describeRun(run)).toBe(0);
    const out = parseJsonOutput<SyncOutput>(run);
    const item = out.plan.items.find((i) => i.path === 'disk.img')!;
    expect(item.source?.size).toBe(GiB);
    expect(item.source?.allocated).toBeLessThan(8 * 1024 * 1024);
    const dst = path.join(sb.target, 'disk.img');
    expect(fs.statSync(dst).size).toBe(GiB);
    expect(fs.statSync(dst).blocks * 512).toBeLessThan(8 * 1024 * 1024);
    expect(diffTrees(sb.source, sb.target)).toEqual([]);
    const plain = await cli('diff', sb.source, sb.target);
    expect(plain.code, describeRun(plain)).toBe(0);
  });
});
