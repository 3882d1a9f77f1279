// Long work shows its progress; replaced data comes back from the version store.
import { expect, test } from '../support/fixtures.js';
import { noise, read, treeDigest, write } from '../support/tandemDaemon.js';

test('a 200 MB apply shows a progress bar with bytes and time left', async ({ app, tandem }) => {
  for (let i = 0; i < 4; i++) write(tandem.source, `video/clip-${i}.mov`, noise(50 << 20, i + 1));
  // Record every state of the progress bar as the page renders it: the apply takes about a
  // second here, so polling from the test could miss it, but a DOM observer sees each update.
  await app.page.evaluate(() => {
    const seen: { now: number; text: string }[] = [];
    (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
    new MutationObserver(() => {
      const bar = document.querySelector('[role="progressbar"][aria-label="Applying changes"]');
      if (!bar) return;
      seen.push({
        now: Number(bar.getAttribute('aria-valuenow')),
        text: bar.parentElement?.textContent ?? '',
      });
    }).observe(document.body, {
      subtree: true,
      childList: true,
      attributes: true,
      characterData: true,
    });
  });
  await app.addPair(tandem.source, tandem.target);
  await app.approveAll(...[0, 1, 2, 3].map((i) => `video/clip-${i}.mov`));
  await app.waitInSync();
  const seen = await app.page.evaluate(
    () => (window as unknown as { progressSeen: { now: number; text: string }[] }).progressSeen,
  );
  expect(seen.length).toBeGreaterThan(0);
  expect(seen.some((s) => s.now > 0 && s.now < 100)).toBe(true);
  expect(seen.some((s) => /of 200 MiB/.test(s.text))).toBe(true);
  expect(treeDigest(tandem.target)).toEqual(treeDigest(tandem.source));
});

test('restore a kept version from the history', async ({ app, tandem }) => {
  write(tandem.source, 'essay.md', 'the original wording\n');
  await app.addPair(tandem.source, tandem.target);
  await app.approveAll('essay.md');
  await app.waitInSync();

  write(tandem.source, 'essay.md', 'a rewrite that turned out worse\n');
  await app.scanNow();
  await expect(app.row('essay.md')).toContainText(/Changed/);
  await app.approveAll('essay.md');
  await app.waitInSync();
  expect(read(tandem.target, 'essay.md')).toBe('a rewrite that turned out worse\n');

  await app.tab('History').click();
  // Only the change that replaced the file kept a version; creating it did not.
  const versions = app.page.getByRole('button', { name: 'Versions of essay.md' });
  await expect(versions).toHaveCount(1);
  await versions.click();
  await app.screenshot('versions');
  await app.page
    .getByRole('button', { name: /^Restore version from / })
    .first()
    .click();
  await expect(app.page.getByText('Restored essay.md')).toBeVisible();
  await expect.poll(() => read(tandem.target, 'essay.md')).toBe('the original wording\n');
  // The history says what came back, in a person's terms: its size and when it had been kept.
  const restored = app.page.getByRole('row').filter({ hasText: 'Restored' });
  await expect(restored).toContainText('21 B');
  await expect(restored).toContainText('Put back the version kept');
  await expect(restored).not.toContainText(/from \d{4}-/);
  // The source is never written.
  expect(read(tandem.source, 'essay.md')).toBe('a rewrite that turned out worse\n');
});
