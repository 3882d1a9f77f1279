import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateKeyPair,
  sshdSkipReason,
  sshdUnavailableReason,
  startSshd,
  type SshdHandle,
} from './sshd.js';

const skip = sshdSkipReason();

describe.skipIf(skip !== null)(
  `a real sshd for the tests${skip ? ` (skipped: ${skip})` : ''}`,
  () => {
    let sshd: SshdHandle;
    beforeAll(async () => {
      sshd = await startSshd();
    });
    afterAll(() => sshd?.stop());

    it('runs a command over ssh, host key checked', async () => {
      const r = await sshd.run('echo hello');
      expect(r).toMatchObject({ code: 0, stdout: 'hello\n', stderr: '' });
    });

    it('gives the far side this Node on its PATH and a TANDEM_HOME of its own', async () => {
      const r = await sshd.run('node -p process.execPath && printf %s "$TANDEM_HOME"');
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`${process.execPath}\n${sshd.remoteHome}`);
      // as bin/tandem.js will be started there: a script run by `#!/usr/bin/env node`
      const script = path.join(sshd.dir, 'far-side.js');
      fs.writeFileSync(script, '#!/usr/bin/env node\nconsole.log(process.version)\n', {
        mode: 0o755,
      });
      expect((await sshd.run(script)).stdout).toBe(`${process.version}\n`);
    });

    it('passes stdin through to the far side', async () => {
      const r = await sshd.run('wc -c', { input: Buffer.alloc(100_000, 7) });
      expect(r.stdout.trim()).toBe('100000');
    });

    it('refuses a server whose host key is not the one known', async () => {
      const other = generateKeyPair(path.join(sshd.dir, 'other_host_ed25519'), 'another host');
      const wrong = sshd.writeClientConfig('wrong-host-key', {
        knownHosts: `[127.0.0.1]:${sshd.port} ${other}\n`,
      });
      const r = await sshd.run('echo hello', { configFile: wrong });
      expect(r.code).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED/);
      expect(r.stderr).toMatch(/Host key verification failed/);

      const unknown = sshd.writeClientConfig('unknown-host', { knownHosts: '' });
      const u = await sshd.run('echo hello', { configFile: unknown });
      expect(u.code).toBe(255);
      expect(u.stderr).toMatch(/No ED25519 host key is known for \[127\.0\.0\.1\]:\d+/);
      expect(u.stderr).toMatch(/Host key verification failed/);
    });

    it('fails fast with a clear error, never a prompt, when no key it offers is accepted', async () => {
      const stranger = path.join(sshd.dir, 'stranger_ed25519');
      generateKeyPair(stranger, 'not authorized');
      const cfg = sshd.writeClientConfig('no-key', { identityFile: stranger });
      const r = await sshd.run('echo hello', { configFile: cfg, timeoutMs: 10_000 });
      expect(r.code).toBe(255);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
      expect(r.stderr).not.toMatch(/password|passphrase/i);
      expect(r.ms).toBeLessThan(5_000);
    });
  },
);

describe.skipIf(skip !== null)(`stopping sshd${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('ends its sessions, frees its port and removes its folder', async () => {
    const sshd = await startSshd();
    // A session that would outlive the test: stop() must end it, not wait for it.
    const started = path.join(sshd.dir, 'started');
    const session = sshd.run(`touch ${started}; exec sleep 60`, { timeoutMs: 20_000 });
    await expect.poll(() => fs.existsSync(started), { timeout: 10_000 }).toBe(true);
    await sshd.stop();
    const r = await session;
    expect(r.code).not.toBe(0);
    expect(r.ms).toBeLessThan(15_000);
    expect(fs.existsSync(sshd.dir)).toBe(false);
    await expect(listenOn(sshd.port)).resolves.toBe(sshd.port);
    await sshd.stop(); // twice is harmless
  });
});

describe('where ssh cannot run', () => {
  it('says why; tests skip with that reason, except under TANDEM_REQUIRE_SSH=1, where they fail', async () => {
    const saved = { PATH: process.env.PATH, TANDEM_REQUIRE_SSH: process.env.TANDEM_REQUIRE_SSH };
    try {
      process.env.PATH = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-empty-path-'));
      delete process.env.TANDEM_REQUIRE_SSH;
      const why = sshdUnavailableReason();
      expect(why).toMatch(/ssh.* (is missing|cannot run)/);
      expect(sshdSkipReason()).toBe(why);
      process.env.TANDEM_REQUIRE_SSH = '1';
      expect(sshdSkipReason()).toBeNull();
      await expect(startSshd()).rejects.toThrow(`cannot start sshd for the tests: ${why}`);
      fs.rmdirSync(process.env.PATH);
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });
});

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(port)));
  });
}
