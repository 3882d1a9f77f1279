// Pairs with a folder on another machine, made in the UI: a real sshd on 127.0.0.1 (the same
// harness as the engine's remote tests) with this checkout's CLI as the far side's `tandem`, and
// the daemon's `ssh` a wrapper that adds the harness's client config (the app runs the user's
// plain `ssh`, whose ~/.ssh/config a test cannot point elsewhere). The folder browser lists the
// far side; a pull (the source on the far side) and a push (the target there) are each added by
// their address, approved, and found byte for byte identical; the far source is never written.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { TandemApp } from '../support/tandemApp.js';
import { CLI, noise, startTandem, treeDigest, write } from '../support/tandemDaemon.js';
import { sshdSkipReason, startSshd } from '../../electron/testing/sshd.js';

const skip = sshdSkipReason();

test.describe('remote pairs', () => {
  test.skip(skip !== null, `needs an sshd to start: ${skip}`);

  test('pull from and push to a folder on another machine, added by its address', async ({
    page,
  }) => {
    const bin = fs.realpathSync(
      fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'tandem-e2e-bin-')),
    );
    fs.symlinkSync(CLI, path.join(bin, 'tandem'));
    const sshd = await startSshd({
      env: {
        PATH: [bin, path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(':'),
      },
    });
    fs.writeFileSync(
      path.join(bin, 'ssh'),
      `#!/bin/sh\nexec /usr/bin/ssh -F ${sshd.configFile} "$@"\n`,
      { mode: 0o755 },
    );
    const tandem = await startTandem({ PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}` });
    try {
      const app = new TandemApp(page, tandem);
      await app.open();

      // A pull: the far folder "Photos" is the source, this machine's "Backup" the target.
      const farSource = path.join(tandem.base, 'far', 'Photos');
      write(farSource, 'notes.txt', 'written on the server\n');
      write(farSource, 'albums/beach.jpg', noise(2 << 20, 3));
      const farBefore = treeDigest(farSource);
      // The folder browser lists the far side: the address typed, then its folder picked.
      await page.getByRole('button', { name: 'Add pair' }).first().click();
      const dialog = page.getByRole('dialog', { name: 'New pair' });
      const sourceField = dialog.getByLabel('Source folder', { exact: true });
      await sourceField.fill(`${sshd.host}:${path.dirname(farSource)}`);
      await dialog.getByRole('button', { name: 'Browse for source folder' }).click();
      const browser = page.getByRole('dialog', { name: 'Choose a folder' });
      await browser.getByRole('button', { name: 'Photos' }).click();
      await browser.getByRole('button', { name: 'Use this folder' }).click();
      await expect(sourceField).toHaveValue(`${sshd.host}:${farSource}`);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await app.addPair(`${sshd.host}:${farSource}`, tandem.target);
      await expect(app.page.getByText(`${sshd.host}:${farSource}`).first()).toBeVisible();
      await app.approveAll('notes.txt', 'albums/beach.jpg');
      await app.waitInSync();
      expect(treeDigest(tandem.target)).toEqual(farBefore);
      expect(treeDigest(farSource)).toEqual(farBefore);
      expect(fs.existsSync(path.join(farSource, '.tandem'))).toBe(false);

      // A push: this machine's source to a far folder that does not exist yet.
      write(tandem.source, 'draft.md', '# made here\n');
      const farTarget = path.join(tandem.base, 'far', 'Mirror');
      await app.addPair(tandem.source, `${sshd.host}:${farTarget}`);
      await app.approveAll('draft.md');
      await app.waitInSync();
      expect(treeDigest(farTarget)).toEqual(treeDigest(tandem.source));
    } finally {
      await tandem.stop();
      await sshd.stop();
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });
});
