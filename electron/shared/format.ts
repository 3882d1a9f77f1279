// Numbers as every front shows them (the CLI, the UI, notifications), so a size or a progress
// reads the same everywhere.
import type { Progress } from './syncApi.js';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units: one decimal below 10 (dropped when zero), whole numbers above. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const shown = () => (v < 10 ? v.toFixed(1).replace(/\.0$/, '') : v.toFixed(0));
  // Rounding can carry into the next unit ("1024 KiB"), which reads wrong.
  if (Number(shown()) >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${shown()} ${UNITS[u]}`;
}

/** How far along a scan or an apply is, 0 to 1: by bytes where there are any, else by items. */
export function progressFraction(p: Progress): number {
  const f =
    p.bytesTotal > 0
      ? p.bytesDone / p.bytesTotal
      : p.itemsTotal > 0
        ? p.itemsDone / p.itemsTotal
        : 1;
  return Math.min(1, Math.max(0, f));
}
