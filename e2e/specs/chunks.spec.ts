// The pending view shows where in a big file its differing chunks lie, and applying writes
// those chunks so that the target ends up byte for byte the source.
import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '../support/fixtures.js';
import { noise, treeDigest, write } from '../support/tandemDaemon.js';

test('a big file with three edited regions: the chunk map, then an identical target', async ({
  app,
  tandem,
}) => {
  write(tandem.source, 'disk-image.raw', noise(64 << 20, 3)); // 512 chunks of 128 KiB
  write(tandem.source, 'docs/plan.txt', 'plan v1\n');
  write(tandem.source, 'docs/old-notes.txt', 'to be deleted\n');
  await app.addPair(tandem.source, tandem.target);
  await app.approveAll('disk-image.raw', 'docs/plan.txt', 'docs/old-notes.txt');
  await app.waitInSync();

  // Edit three 4 KiB regions: near the start, the middle and the end.
  const fd = fs.openSync(path.join(tandem.source, 'disk-image.raw'), 'r+');
  for (const at of [4096, 32 << 20, (64 << 20) - 8192])
    fs.writeSync(fd, noise(4096, at), 0, 4096, at);
  fs.closeSync(fd);
  write(tandem.source, 'docs/plan.txt', 'plan v2, longer\n');
  write(tandem.source, 'docs/new-idea.txt', 'new\n');
  fs.rmSync(path.join(tandem.source, 'docs/old-notes.txt'));
  await app.scanNow();

  const row = app.row('disk-image.raw');
  await expect(row).toContainText('3 of 512 chunks differ');
  await expect(row.getByRole('img')).toHaveAttribute(
    'aria-label',
    'Chunks 1, 257 and 512 of 512 differ',
  );
  await expect(app.row('docs/old-notes.txt')).toContainText('Delete');
  await expect(app.row('docs/new-idea.txt')).toContainText('New');
  await expect(app.row('docs/plan.txt')).toContainText('Changed');
  await app.screenshot('pending-chunks');

  await app.approveAll('disk-image.raw', 'docs/new-idea.txt', 'docs/old-notes.txt');
  await app.waitInSync();
  expect(treeDigest(tandem.target)).toEqual(treeDigest(tandem.source));
});
