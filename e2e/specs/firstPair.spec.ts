// A new user's first minutes: the empty state, a pair added through the UI, its pending changes,
// approval, and a target that is byte for byte the source.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '../support/fixtures.js';
import { noise, read, treeDigest, write } from '../support/tandemDaemon.js';

test('add a pair, see what is pending, approve, and find the target identical', async ({
  app,
  tandem,
}) => {
  write(tandem.source, 'notes.txt', 'first draft\n');
  write(tandem.source, 'albums/2024/beach.jpg', noise(3 << 20, 7));
  write(tandem.source, 'albums/2024/dunes.jpg', noise(1 << 20, 8));
  fs.symlinkSync('albums/2024/beach.jpg', path.join(tandem.source, 'cover.jpg'));
  const sourceBefore = treeDigest(tandem.source);

  await expect(app.page.getByRole('heading', { name: 'Keep two folders identical' })).toBeVisible();
  await app.screenshot('empty-state');

  await app.addPair(tandem.source, tandem.target);
  await expect(app.row('notes.txt')).toBeVisible();
  await expect(app.row('albums/2024/beach.jpg')).toContainText(/(^|[^\d.])3 MiB/);
  await expect(app.pairButton(/Photos → Backup/)).toContainText(/pending/);
  await app.screenshot('pending');

  // Nothing is written before the user approves.
  expect(fs.readdirSync(tandem.target).filter((n) => n !== '.tandem')).toEqual([]);

  await app.approveAll('albums/2024/dunes.jpg', 'cover.jpg');
  await app.waitInSync();
  await expect(app.pairButton(/Photos → Backup/)).toContainText('In sync');
  expect(treeDigest(tandem.target)).toEqual(sourceBefore);
  expect(treeDigest(tandem.source)).toEqual(sourceBefore);

  await app.tab('History').click();
  await expect(app.page.getByText('notes.txt')).toBeVisible();
  await app.screenshot('history');
  await app.tab('Settings').click();
  await app.screenshot('settings');
  expect(read(tandem.target, 'notes.txt')).toBe('first draft\n');
});

test('approve only the selected change; reject another', async ({ app, tandem }) => {
  write(tandem.source, 'keep.txt', 'keep me\n');
  write(tandem.source, 'later.txt', 'not yet\n');
  write(tandem.source, 'never.txt', 'no\n');
  await app.addPair(tandem.source, tandem.target);
  await expect(app.row('later.txt')).toBeVisible();

  await app.row('keep.txt').getByRole('checkbox').check();
  await app.page.getByRole('button', { name: 'Approve selected' }).click();
  await expect.poll(() => read(tandem.target, 'keep.txt')).toBe('keep me\n');
  await expect(app.row('keep.txt')).toBeHidden();

  await app.row('never.txt').getByRole('checkbox').check();
  await app.page.getByRole('button', { name: 'Reject selected' }).click();
  await expect(app.row('never.txt')).toBeHidden();
  await expect(app.row('later.txt')).toBeVisible();
  expect(read(tandem.target, 'later.txt')).toBeNull();
  expect(read(tandem.target, 'never.txt')).toBeNull();
});

test('refuses a pair that cannot be one, and says why', async ({ app, tandem }) => {
  await app.page.getByRole('button', { name: 'Add pair' }).first().click();
  const dialog = app.page.getByRole('dialog', { name: 'New pair' });
  await dialog.getByLabel('Source folder', { exact: true }).fill(tandem.source);
  await dialog
    .getByLabel('Target folder', { exact: true })
    .fill(path.join(tandem.source, 'inside'));
  await expect(dialog.getByRole('alert')).toContainText('inside source');
  await expect(dialog.getByRole('button', { name: 'Create pair' })).toBeDisabled();

  await dialog.getByLabel('Target folder', { exact: true }).fill(tandem.source);
  await expect(dialog.getByRole('alert')).toContainText('same folder');

  await dialog.getByLabel('Source folder', { exact: true }).fill(path.join(tandem.base, 'missing'));
  await dialog.getByLabel('Target folder', { exact: true }).fill(tandem.target);
  await expect(dialog.getByRole('alert')).toContainText('not found');
});

test('chooses both folders with the folder browser', async ({ app, tandem }) => {
  write(tandem.source, 'a.txt', 'a\n');
  fs.mkdirSync(tandem.target);
  await app.page.getByRole('button', { name: 'Add pair' }).first().click();
  const dialog = app.page.getByRole('dialog', { name: 'New pair' });

  for (const [which, folder] of [
    ['source', 'Photos'],
    ['target', 'Backup'],
  ] as const) {
    await dialog.getByRole('button', { name: `Browse for ${which} folder` }).click();
    const browser = app.page.getByRole('dialog', { name: 'Choose a folder' });
    await browser.getByLabel('Folder path').fill(tandem.base);
    await browser.getByLabel('Folder path').press('Enter');
    await browser.getByRole('button', { name: folder, exact: true }).dblclick();
    await expect(browser.getByLabel('Folder path')).toHaveValue(path.join(tandem.base, folder));
    await browser.getByRole('button', { name: 'Use this folder' }).click();
    await expect(browser).toBeHidden();
  }
  await expect(dialog.getByLabel('Source folder', { exact: true })).toHaveValue(tandem.source);
  await expect(dialog.getByLabel('Target folder', { exact: true })).toHaveValue(tandem.target);
  await dialog.getByRole('button', { name: 'Create pair' }).click();
  await expect(app.row('a.txt')).toBeVisible();
});
