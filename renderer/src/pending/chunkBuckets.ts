// Where in a file its differing chunks lie, squeezed into a bar of a few segments, and the words
// a screen reader says for it. Pure, so the bucketing has its own table of tests.

/**
 * Buckets `total` chunks into at most `segments` equal runs and marks each run that holds a
 * changed chunk. A file with fewer chunks than segments gets one bucket per chunk.
 */
export function bucketChunks(
  total: number,
  changed: readonly number[],
  segments: number,
): boolean[] {
  const n = Math.max(0, Math.min(Math.floor(total), Math.floor(segments)));
  const marks = new Array<boolean>(n).fill(false);
  if (n === 0) return marks;
  for (const i of changed) {
    if (!Number.isInteger(i) || i < 0 || i >= total) continue;
    marks[Math.min(n - 1, Math.floor((i * n) / total))] = true;
  }
  return marks;
}

/** Runs of marked buckets as [start, length], so the bar draws one shape per run. */
export function markedRuns(marks: readonly boolean[]): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  marks.forEach((m, i) => {
    if (m && start < 0) start = i;
    if (!m && start >= 0) {
      runs.push([start, i - start]);
      start = -1;
    }
  });
  if (start >= 0) runs.push([start, marks.length - start]);
  return runs;
}

const LISTED = 5;

/** "Chunks 3, 17 and 40 of 64 differ", counting chunks from 1 as people do. */
export function chunkMapLabel(total: number, changed: readonly number[]): string {
  const nums = [...new Set(changed)].sort((a, b) => a - b).map((i) => (i + 1).toLocaleString());
  const of = total.toLocaleString();
  if (nums.length === 0) return `No chunks of ${of} differ`;
  if (nums.length === 1) return `Chunk ${nums[0]} of ${of} differs`;
  if (nums.length <= LISTED)
    return `Chunks ${nums.slice(0, -1).join(', ')} and ${nums[nums.length - 1]} of ${of} differ`;
  const more = (nums.length - LISTED).toLocaleString();
  return `Chunks ${nums.slice(0, LISTED).join(', ')} and ${more} more of ${of} differ`;
}
