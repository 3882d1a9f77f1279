// What a pair keeps besides the data: a pair made in the UI keeps hard links and extended
// attributes from its first sync, its history says what a hard link became, and its Settings
// turn each kind off (kept across a reload: the service stores it).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { expect, test } from '../support/fixtures.js';
import { write } from '../support/tandemDaemon.js';

const xattr = createRequire(import.meta.url)('@napi-rs/xattr') as typeof import('@napi-rs/xattr');

const TOGGLES = [
  'Keep extended attributes',
  'Keep access control lists (ACLs)',
  'Keep hard links',
  'Keep owners and groups',
] as const;

test('a new pair keeps hard links and attributes; Settings turn one off, and it stays off', async ({
  app,
  tandem,
}) => {
  const { source, target } = tandem;
  write(source, 'a.txt', 'one file under two names\n');
  fs.linkSync(path.join(source, 'a.txt'), path.join(source, 'b.txt'));
  xattr.setAttributeSync(path.join(source, 'a.txt'), 'user.tag', Buffer.from('red'));

  await app.addPair(source, target);
  await app.approveAll('a.txt', 'b.txt');
  await app.waitInSync();
  const ino = (rel: string) => fs.statSync(path.join(target, rel)).ino;
  expect(ino('b.txt')).toBe(ino('a.txt'));
  expect(xattr.getAttributeSync(path.join(target, 'a.txt'), 'user.tag')?.toString()).toBe('red');

  await app.tab('History').click();
  const history = app.page.getByRole('table');
  await expect(history.getByRole('row').filter({ hasText: 'b.txt' })).toContainText(
    'hard link to a.txt',
  );

  await app.tab('Settings').click();
  for (const t of TOGGLES) await expect(app.page.getByLabel(t)).toBeChecked();
  await app.page.getByLabel('Keep hard links').uncheck();
  await app.page.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.page.getByText('Saved.')).toBeVisible();
  await app.screenshot('settings-fidelity');

  await app.page.reload();
  await app.tab('Settings').click();
  await expect(app.page.getByLabel('Keep hard links')).not.toBeChecked();
  await expect(app.page.getByLabel('Keep extended attributes')).toBeChecked();
  // The rescan under the new rule finds nothing to do: the copies already hold the same bytes.
  await app.tab('Pending').click();
  await app.scanNow();
  await app.waitInSync();
});
