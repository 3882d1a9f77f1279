// A remote pair's connection through a real OpenSSH server on 127.0.0.1 (electron/testing/sshd),
// with this checkout's `tandem server` on the far side: the greeting and a request go through,
// and each way it can fail says what to do in one sentence.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshdSkipReason, startSshd, type SshdHandle } from '../../testing/sshd.js';
import { appVersion } from '../core/runtime/appVersion.js';
import { RemoteConnection, type ConnectOptions } from './connection.js';
import { PROTOCOL } from './channel.js';
import { RemoteSourceSession } from './remoteSourceSession.js';
import type { RemoteLocation } from '../../shared/remoteAddress.js';

const skip = sshdSkipReason();
/** The far side runs this checkout's CLI (built by `npm test`'s build step). */
const TANDEM = fileURLToPath(new URL('../../../bin/tandem.js', import.meta.url));

describe.skipIf(skip !== null)(
  `remote connections over ssh${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let sshd: SshdHandle;
    let dir: string;
    beforeAll(async () => {
      sshd = await startSshd();
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-remote-'));
    });
    afterAll(async () => {
      await sshd?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    const opts = (more: Partial<ConnectOptions> = {}): ConnectOptions => ({
      rsh: ['ssh', ...sshd.sshArgs()],
      remoteTandem: TANDEM,
      batch: true,
      version: appVersion(),
      ...more,
    });
    const far = (): RemoteLocation => ({ kind: 'remote', host: sshd.host, path: '' });
    /** A far-side command of the test's own, as --remote-tandem names one. */
    const script = (name: string, body: string): string => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
      return p;
    };

    it('greets the far side, agrees on the protocol, and opens a folder there', async () => {
      const folder = fs.mkdtempSync(path.join(dir, 'far-'));
      fs.symlinkSync(folder, path.join(dir, 'link-to-far'));
      const c = await RemoteConnection.open(far(), opts());
      try {
        expect(c.peerVersion).toBe(appVersion());
        // The highest both speak: this checkout on both sides.
        expect(c.protocol).toBe(PROTOCOL.max);
        expect((await c.request({ t: 'ping' })).message).toMatchObject({
          t: 'pong',
          protocol: PROTOCOL.max,
        });
        const opened = await c.request({ t: 'open', path: path.join(dir, 'link-to-far') });
        expect(opened.message.path).toBe(fs.realpathSync(folder));
        await expect(c.request({ t: 'open', path: path.join(dir, 'nowhere') })).rejects.toThrow(
          /nowhere does not exist on /,
        );
        await expect(c.request({ t: 'frobnicate' })).rejects.toThrow(
          /does not know the request "frobnicate"/,
        );
      } finally {
        await c.close();
      }
    });

    it('says the far side has no tandem, and how to name one', async () => {
      await expect(
        RemoteConnection.open(far(), opts({ remoteTandem: '/opt/no-such/tandem' })),
      ).rejects.toThrow(
        /tandem-test has no "\/opt\/no-such\/tandem" to run \(.*\): install Tandem there, or name it with --remote-tandem PATH/,
      );
    });

    it('shows what a chatty login shell printed instead of hanging', async () => {
      const chatty = script('chatty', `echo 'Welcome to the NAS'\nexec "${TANDEM}" "$@"`);
      await expect(RemoteConnection.open(far(), opts({ remoteTandem: chatty }))).rejects.toThrow(
        /printed "Welcome to the NAS\\n.*" instead of greeting as Tandem does/,
      );
    });

    it('refuses a far side that speaks other protocol versions, saying which', async () => {
      const future = script('future', `printf 'TANDEM 7-9 9.0.0\\n'\ncat >/dev/null`);
      await expect(RemoteConnection.open(far(), opts({ remoteTandem: future }))).rejects.toThrow(
        /tandem-test: this Tandem \(.*\) speaks protocols 1–3 and the far side's \(9\.0\.0\) protocols 7–9: install the same version/,
      );
    });

    it('refuses to pull from a far Tandem whose protocol cannot be a source, naming the fix', async () => {
      const old = script('old', `printf 'TANDEM 1-1 0.0.9\\n'\ncat >/dev/null`);
      const target = path.join(dir, 'pull-target');
      await expect(
        RemoteSourceSession.open(far(), target, { ...opts({ remoteTandem: old }), write: true }),
      ).rejects.toThrow(
        /^tandem-test runs Tandem 0\.0\.9, which cannot be the source of a pair \(that needs protocol 2, .*\); update Tandem on tandem-test, or sync the other way$/,
      );
      expect(fs.existsSync(target)).toBe(false);
    });

    it('says a host key that does not match is refused, without a prompt', async () => {
      const cfg = sshd.writeClientConfig('wrong-key', {
        knownHosts: `[127.0.0.1]:${sshd.port} ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHo5a7F0Vw2bG4fJ1oV7Y6sQ0k8m1h0dWm8yQk0h0h0h\n`,
      });
      await expect(RemoteConnection.open(far(), opts({ rsh: ['ssh', '-F', cfg] }))).rejects.toThrow(
        /cannot reach tandem-test over ssh: .*Host key verification failed/,
      );
    });
  },
);
