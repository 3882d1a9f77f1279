// A remote pair over a slow link (issue 12): sshd in a network namespace of the test's own,
// behind a veth pair limited to 20 Mbit/s each way with tc tbf, the bytes counted on the veth
// (ssh included). Results are checked byte for byte and bytes on the wire are bounded; no time
// is asserted (bench:remote measures time, against rsync on the same link).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_PATH, describeRun, runCli } from '../testing/cliRunner.js';
import { patchFile, seededBytes, writeSeededFile } from '../testing/rng.js';
import { makeSandbox, putFile, type Sandbox } from '../testing/sandbox.js';
import { SlowLink, slowLinkSkipReason } from '../testing/slowLink.js';
import { sshdSkipReason, startSshd, type SshdHandle } from '../testing/sshd.js';
import { diffTrees } from '../testing/treeSnapshot.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const skip = sshdSkipReason() ?? slowLinkSkipReason();
// CI runs as root with iproute2: there, a missing namespace is a failure, not a skip.
const required = process.env.TANDEM_REQUIRE_SSH === '1' && process.getuid?.() === 0;

describe.skipIf(skip !== null && !required)(
  `a remote pair over a 20 Mbit/s link${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let link: SlowLink;
    let sshd: SshdHandle;
    let sb: Sandbox;
    beforeAll(async () => {
      if (skip) throw new Error(`cannot make the slow link: ${skip}`);
      link = SlowLink.make(`tandem-test-${process.pid}`);
      sshd = await startSshd(link.sshdOptions());
      sb = makeSandbox('slowlink');
    }, 60_000);
    afterAll(async () => {
      await sshd?.stop();
      link?.drop();
      sb?.cleanup();
    });

    /** One sync over the link: its run and the bytes that crossed the veth meanwhile. */
    const sync = async () => {
      const before = link.bytes();
      const run = await runCli(
        [
          'sync',
          sb.source,
          `${sshd.host}:${sb.target}`,
          '--yes',
          '-e',
          `ssh -F ${sshd.configFile}`,
          '--remote-tandem',
          CLI_PATH,
        ],
        { home: sb.home, cwd: sb.base, timeoutMs: 110_000 },
      );
      expect(run.code, describeRun(run)).toBe(0);
      expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);
      return link.bytes() - before;
    };

    it(
      'copies, then sends pages for edits in place, a delta for moved content, almost nothing for no change',
      { timeout: 240_000 },
      async () => {
        writeSeededFile(path.join(sb.source, 'big.bin'), 6 * MiB, 'slow/big');
        writeSeededFile(path.join(sb.source, 'moved.bin'), 4 * MiB, 'slow/moved');
        for (let i = 0; i < 200; i++) putFile(sb.source, `small/f${i}.txt`, `file ${i}\n`);
        const first = await sync();
        expect(first).toBeGreaterThan(10 * MiB); // the data did cross the limited link
        link.limit('20mbit');

        // Three 4 KiB edits in place: pages, not chunks.
        for (const [k, at] of [100 * KiB, 3 * MiB, 5 * MiB + 7].entries())
          patchFile(path.join(sb.source, 'big.bin'), at, seededBytes(`slow/edit/${k}`, 4 * KiB));
        // 100 bytes inserted near the start of another file: a content-defined delta, not the rest.
        const moved = path.join(sb.source, 'moved.bin');
        const data = fs.readFileSync(moved);
        fs.writeFileSync(
          moved,
          Buffer.concat([data.subarray(0, 5000), Buffer.alloc(100, 7), data.subarray(5000)]),
        );
        const edits = await sync();
        expect(edits, `${edits} B crossed for three pages and an insertion`).toBeLessThan(
          256 * KiB,
        );

        const unchanged = await sync();
        expect(unchanged, `${unchanged} B crossed for an unchanged pair`).toBeLessThan(32 * KiB);
        console.log(
          `slow link: first copy ${first} B, edits ${edits} B, unchanged ${unchanged} B on the veth`,
        );
      },
    );
  },
);
