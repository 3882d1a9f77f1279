// A name that is not UTF-8 goes from disk through the daemon's JSON to Chromium and back as the
// same bytes: shown with its raw bytes marked as \#ooo, approved, and written byte for byte.
import fs from 'node:fs';
import { expect, test } from '../support/fixtures.js';

test('a latin-1 name is shown escaped and marked, and approving it writes exactly those bytes', async ({
  app,
  tandem,
}) => {
  const latin1 = (root: string, name: string) => Buffer.from(`${root}/${name}`, 'latin1');
  fs.writeFileSync(latin1(tandem.source, 'caf\xe9.txt'), 'é in latin-1');
  // One byte apart: as text with replacement characters the two would look, and key, alike.
  fs.writeFileSync(latin1(tandem.source, 'caf\xe8.txt'), 'è in latin-1');
  await app.addPair(tandem.source, tandem.target);
  const row = app.row('caf\\#351.txt');
  await expect(row).toBeVisible();
  await expect(row.getByTitle(/not valid UTF-8/)).toHaveText('\\#351');
  await expect(app.pendingList).not.toContainText('\ufffd');
  await row.getByRole('checkbox').check();
  await app.page.getByRole('button', { name: 'Approve selected' }).click();
  await expect.poll(() => fs.existsSync(latin1(tandem.target, 'caf\xe9.txt'))).toBe(true);
  expect(fs.readFileSync(latin1(tandem.target, 'caf\xe9.txt'), 'utf8')).toBe('é in latin-1');
  // The other name was not approved, and is still pending under its own bytes.
  expect(fs.existsSync(latin1(tandem.target, 'caf\xe8.txt'))).toBe(false);
  await expect(app.row('caf\\#350.txt')).toBeVisible();
});
