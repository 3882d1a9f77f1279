// Durability in batches: write many files, then make them all durable with one filesystem sync
// instead of one fsync round-trip each. Measured here (ext4, 2,000 files of 32 KiB): fsync per
// file 983 ms, parallel fsync on 4 threads 662 ms, one `sync -f` (syncfs) 170 ms, no sync 86 ms.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';

let syncfsWorks: boolean | null = process.platform === 'linux' ? null : false;

/** Makes every write to the filesystem holding `anyPath` durable, including renames. */
export function flushFilesystem(anyPath: string, fds: readonly number[] = []): void {
  if (syncfsWorks !== false) {
    const r = spawnSync('sync', ['-f', anyPath], { stdio: 'ignore' });
    if (r.status === 0) {
      syncfsWorks = true;
      return;
    }
    if (syncfsWorks === null) syncfsWorks = false;
    else
      throw new Error(
        `could not flush writes to disk (sync -f ${anyPath} failed); check the disk and run again`,
      );
  }
  for (const fd of fds) fs.fsyncSync(fd);
}

/** fsync a folder so that the names created or renamed in it are durable. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch (e) {
    // Some platforms (Windows) cannot open or fsync a folder; the rename is as durable as they allow.
    if (
      (e as NodeJS.ErrnoException).code !== 'EISDIR' &&
      (e as NodeJS.ErrnoException).code !== 'EPERM'
    )
      throw e;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Whether syncfs covers folder entries too, so per-folder fsyncs can be skipped. */
export function syncfsAvailable(): boolean {
  return syncfsWorks === true;
}
