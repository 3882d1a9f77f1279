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
  await expect(app.page.getByRole('alert').filter({ hasText: /browser/i })).toBeVisible();
  await expect(app.page.getByRole('dialog', { name: 'New pair' })).toBeVisible();
});

test('keyboard: select with Space, approve with a', async ({ app, tandem }) => {
  write(tandem.source, 'one.txt', '1\n');
  write(tandem.source, 'two.txt', '2\n');
  await app.addPair(tandem.source, tandem.target);
  await expect(app.row('two.txt')).toBeVisible();
  await app.pendingList.focus();
  await app.page.keyboard.press('j');
  await app.page.keyboard.press('Space');
  await expect(app.row('one.txt').getByRole('checkbox')).toBeChecked();
  await app.page.keyboard.press('a');
  await expect.poll(() => read(tandem.target, 'one.txt')).toBe('1\n');
  expect(read(tandem.target, 'two.txt')).toBeNull();
  await app.page.keyboard.press('?');
  await expect(app.page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
});
