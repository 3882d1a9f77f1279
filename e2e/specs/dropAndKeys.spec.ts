// Drag and drop and the keyboard in the browser UI.
import { expect, test } from '../support/fixtures.js';
import { read, write } from '../support/tandemDaemon.js';

test('dropping folders in a browser explains the folder browser instead', async ({ app }) => {
  const dataTransfer = await app.page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['x'], 'Photos'));
    return dt;
  });
  await app.page.dispatchEvent('body', 'dragenter', { dataTransfer });
  await expect(app.page.getByText('Drop folders to pair them')).toBeVisible();
  await app.page.dispatchEvent('body', 'drop', { dataTransfer });
  // The add-pair dialog opens with a note saying why the folders must be browsed for.
  const dialog = app.page.getByRole('dialog', { name: 'New pair' });
  await expect(dialog).toContainText("Browsers don't reveal where a dropped folder is");
  await expect(dialog.getByRole('button', { name: 'Browse for source folder' })).toBeVisible();
});

test('keyboard: select with Space, approve with a', async ({ app, tandem }) => {
  write(tandem.source, 'one.txt', '1\n');
  write(tandem.source, 'two.txt', '2\n');
  await app.addPair(tandem.source, tandem.target);
  await expect(app.row('two.txt')).toBeVisible();
  await app.pendingList.focus();
  // Focusing the list focuses its first row; j and k move down and back up.
  await app.page.keyboard.press('j');
  await app.page.keyboard.press('k');
  await app.page.keyboard.press('Space');
  await expect(app.row('one.txt').getByRole('checkbox')).toBeChecked();
  await app.page.keyboard.press('a');
  await expect.poll(() => read(tandem.target, 'one.txt')).toBe('1\n');
  expect(read(tandem.target, 'two.txt')).toBeNull();
  await app.page.keyboard.press('?');
  await expect(app.page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
});
