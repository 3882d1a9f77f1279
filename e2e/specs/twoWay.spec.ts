// A two-way pair in the browser UI (issue 13): made in the add-pair dialog, each change shown with
// its direction, and a conflict shown with both sides and resolved by each of its three buttons
// (and by its key), checked on disk.
import fs from 'node:fs';
import { expect, test } from '../support/fixtures.js';
import type { TandemApp } from '../support/tandemApp.js';
import { read, write } from '../support/tandemDaemon.js';

async function addTwoWayPair(app: TandemApp, a: string, b: string): Promise<void> {
  await app.page.getByRole('button', { name: 'Add pair' }).first().click();
  const dialog = app.page.getByRole('dialog', { name: 'New pair' });
  await dialog.getByRole('radio', { name: /^Two-way/ }).check();
  await dialog.getByLabel('Folder A', { exact: true }).fill(a);
  await dialog.getByLabel('Folder B', { exact: true }).fill(b);
  const create = dialog.getByRole('button', { name: 'Create pair' });
  await expect(create).toBeEnabled();
  await create.click();
  await expect(dialog).toBeHidden();
  await expect(app.pairButton(/^Photos ⇄ Backup/)).toBeVisible();
}

test('a two-way pair shows directions, and each conflict button resolves on disk', async ({
  app,
  tandem,
}) => {
  const A = tandem.source;
  const B = tandem.target;
  for (const f of ['keep-a.txt', 'keep-b.txt', 'keep-both.txt', 'by-key.txt'])
    write(A, f, `base of ${f}\n`);
  write(B, 'from-b.txt', 'made on B\n');
  await addTwoWayPair(app, A, B);

  // The first sync: A's files go to B, B's file to A, each row saying which way.
  await expect(app.row('keep-a.txt')).toContainText('A → B');
  await expect(app.row('from-b.txt')).toContainText('B → A');
  await app.screenshot('two-way-directions');
  await app.approveAll('keep-a.txt', 'keep-b.txt', 'keep-both.txt', 'by-key.txt', 'from-b.txt');
  await app.waitInSync();
  expect(read(B, 'keep-a.txt')).toBe('base of keep-a.txt\n');
  expect(read(A, 'from-b.txt')).toBe('made on B\n');

  // Both sides edit the same four files.
  for (const f of ['keep-a.txt', 'keep-b.txt', 'keep-both.txt', 'by-key.txt']) {
    write(A, f, `A's edit of ${f}\n`);
    write(B, f, `B's longer edit of ${f}\n`);
  }
  await app.scanNow();
  const panel = app.page.getByRole('region', { name: 'Conflicts' });
  const card = (f: string) => panel.getByRole('listitem', { name: `Conflict at ${f}` });
  await expect(card('keep-a.txt')).toContainText('Changed on both sides');
  await expect(card('keep-a.txt')).toContainText('A');
  await expect(card('keep-a.txt')).toContainText('1 of 1 chunk differs');
  await app.screenshot('two-way-conflicts');

  await card('keep-a.txt')
    .getByRole('button', { name: /^Keep A's/ })
    .click();
  await expect.poll(() => read(B, 'keep-a.txt')).toBe("A's edit of keep-a.txt\n");
  await card('keep-b.txt')
    .getByRole('button', { name: /^Keep B's/ })
    .click();
  await expect.poll(() => read(A, 'keep-b.txt')).toBe("B's longer edit of keep-b.txt\n");
  await card('keep-both.txt')
    .getByRole('button', { name: /^Keep both/ })
    .click();
  await expect.poll(() => namesIn(A, 'keep-both').length).toBe(2);
  // The key: b on a focused conflict keeps B's.
  await card('by-key.txt').focus();
  await app.page.keyboard.press('b');
  await expect.poll(() => read(A, 'by-key.txt')).toBe("B's longer edit of by-key.txt\n");

  await expect(panel).toBeHidden();
  // Keep both left the two versions side by side, on both sides.
  for (const root of [A, B]) {
    const names = namesIn(root, 'keep-both');
    const texts = names.map((n) => read(root, n)).sort();
    expect(texts).toEqual(["A's edit of keep-both.txt\n", "B's longer edit of keep-both.txt\n"]);
  }
  expect(read(A, 'keep-a.txt')).toBe("A's edit of keep-a.txt\n");
  expect(read(B, 'keep-b.txt')).toBe("B's longer edit of keep-b.txt\n");
});

/** Names in `root` starting with `stem` (the file and its sync-conflict copy). */
function namesIn(root: string, stem: string): string[] {
  return fs.readdirSync(root).filter((n) => n.startsWith(stem));
}
