// A pair that runs on its own: auto-approve lets an edit flow through as soon as it settles, and
// a change that would overwrite an edit on the target still waits for a person.
import { expect, test } from '../support/fixtures.js';
import type { TandemApp } from '../support/tandemApp.js';
import { read, write } from '../support/tandemDaemon.js';

async function syncedPair(app: TandemApp): Promise<void> {
  const { source, target } = app.tandem;
  write(source, 'report.txt', 'v1\n');
  write(source, 'data/table.csv', 'a,b\n1,2\n');
  await app.addPair(source, target);
  await app.approveAll('report.txt', 'data/table.csv');
  await app.waitInSync();
  expect(read(target, 'report.txt')).toBe('v1\n');
}

async function turnOnAutoApprove(app: TandemApp): Promise<void> {
  await app.tab('Settings').click();
  await app.page.getByLabel('Auto-approve changes').check();
  await app.page.getByRole('button', { name: 'Save settings' }).click();
  await expect(app.page.getByText('Saved.')).toBeVisible();
  await app.tab('Pending').click();
}

test('with auto-approve on, an edit in the source reaches the target by itself', async ({
  app,
  tandem,
}) => {
  await syncedPair(app);
  await turnOnAutoApprove(app);

  write(tandem.source, 'report.txt', 'v2, edited while Tandem watches\n');
  write(tandem.source, 'data/new.csv', 'x\n');
  await expect
    .poll(() => read(tandem.target, 'report.txt'), { timeout: 20_000 })
    .toBe('v2, edited while Tandem watches\n');
  await expect.poll(() => read(tandem.target, 'data/new.csv'), { timeout: 20_000 }).toBe('x\n');
  await expect(app.pairButton(/Photos → Backup/)).toContainText('In sync');
  await app.tab('History').click();
  await expect(app.page.getByText('data/new.csv')).toBeVisible();
});

test('a conflict waits for explicit approval even under auto-approve', async ({ app, tandem }) => {
  await syncedPair(app);
  await turnOnAutoApprove(app);

  // Someone edits the target copy, then the source changes too.
  write(tandem.target, 'report.txt', 'edited on the backup drive\n');
  write(tandem.source, 'report.txt', 'v2 from the source\n');
  await app.scanNow();
  const row = app.row('report.txt');
  await expect(row).toContainText('Conflict');
  await expect(app.pairButton(/Photos → Backup/)).toContainText(/conflict/i);
  await app.screenshot('conflict');
  // Auto-approve did not touch it: the target edit is still there after another scan.
  await app.scanNow();
  await expect(row).toContainText('Conflict');
  expect(read(tandem.target, 'report.txt')).toBe('edited on the backup drive\n');

  await row.getByRole('checkbox').check();
  await app.page.getByRole('button', { name: 'Approve selected' }).click();
  await expect.poll(() => read(tandem.target, 'report.txt')).toBe('v2 from the source\n');
  await app.waitInSync();

  // The overwritten target edit was kept as a version.
  await app.tab('History').click();
  await app.page.getByRole('button', { name: 'Versions of report.txt' }).first().click();
  await expect(
    app.page.getByRole('button', { name: /^Restore version from / }).first(),
  ).toBeVisible();
});
