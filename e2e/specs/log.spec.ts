// "Open log" in the browser: a browser cannot open a file on the machine, so Tandem shows where
// its log is and the last lines, readable, including what just happened to a pair.
import path from 'node:path';
import { expect, test } from '../support/fixtures.js';
import { write } from '../support/tandemDaemon.js';

test('Open log shows the log’s path and its last lines, with the pair’s cycles', async ({
  app,
  tandem,
}) => {
  write(tandem.source, 'notes.txt', 'hello\n');
  await app.addPair(tandem.source, tandem.target);
  await expect(app.row('notes.txt')).toBeVisible();
  await app.page.getByRole('button', { name: 'Open log' }).click();
  const dialog = app.page.getByRole('dialog', { name: 'Tandem’s log' });
  await expect(dialog).toContainText(path.join(tandem.home, 'logs', 'tandem.log'));
  const lines = dialog.getByRole('list', { name: 'Last lines of the log' });
  await expect(lines).toContainText('service started');
  await expect(lines.getByRole('listitem').filter({ hasText: /cycle/ }).first()).toContainText(
    `${path.basename(tandem.source)} → ${path.basename(tandem.target)}`,
  );
  await app.screenshot('log');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
});
