// What a crash test accepts for a file caught by a kill during an in-place patch, until the
// journal is recovered: every 4 KiB page is the old file's or the new one's.
// (A killed write(2) can stop between pages.)
import fs from 'node:fs';

const PAGE = 4096;

/** True when the file is, 4 KiB page by page, each page either old or new (an unrecovered patch). */
export function isPageMix(file: string, a: Buffer, b: Buffer): boolean {
  const cur = fs.readFileSync(file);
  if (cur.length !== a.length || cur.length !== b.length) return false;
  for (let off = 0; off < cur.length; off += PAGE) {
    const end = Math.min(off + PAGE, cur.length);
    const page = cur.subarray(off, end);
    if (!page.equals(a.subarray(off, end)) && !page.equals(b.subarray(off, end))) return false;
  }
  return true;
}
