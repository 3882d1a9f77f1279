// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { bucketChunks, chunkMapLabel, markedRuns } from './chunkBuckets.js';

describe('bucketChunks', () => {
  it('gives one bucket per chunk when the file has fewer chunks than segments', () => {
    expect(bucketChunks(4, [1, 3], 120)).toEqual([false, true, false, true]);
  });
  it('squeezes many chunks into the segments and marks only buckets holding a change', () => {
    // 1,000 chunks in 10 buckets of 100: chunk 0 → 0, 150 → 1, 999 → 9
    const marks = bucketChunks(1000, [0, 150, 999], 10);
    expect(marks.map((m, i) => (m ? i : -1)).filter((i) => i >= 0)).toEqual([0, 1, 9]);
  });
  it('marks the bucket at each chunk’s relative position', () => {
    // 64 chunks in 16 buckets of 4: chunks 2, 16, 39 → buckets 0, 4, 9
    const marks = bucketChunks(64, [2, 16, 39], 16);
    expect(marks.filter(Boolean)).toHaveLength(3);
    expect([marks[0], marks[4], marks[9]]).toEqual([true, true, true]);
  });
  it('ignores indexes outside the file and handles empty files', () => {
    expect(bucketChunks(8, [-1, 8, 2.5, 7], 8)).toEqual([...Array(7).fill(false), true]);
    expect(bucketChunks(0, [0], 120)).toEqual([]);
  });
});

describe('markedRuns', () => {
  it('merges neighbouring marks into runs', () => {
    expect(markedRuns([true, true, false, true, false, false, true])).toEqual([
      [0, 2],
      [3, 1],
      [6, 1],
    ]);
  });
});

describe('chunkMapLabel', () => {
  it('counts chunks from one', () => {
    expect(chunkMapLabel(64, [2, 16, 39])).toBe('Chunks 3, 17 and 40 of 64 differ');
    expect(chunkMapLabel(64, [0])).toBe('Chunk 1 of 64 differs');
  });
  it('lists five and counts the rest', () => {
    expect(chunkMapLabel(100, [9, 0, 1, 2, 3, 4, 5])).toBe(
      'Chunks 1, 2, 3, 4, 5 and 2 more of 100 differ',
    );
  });
});
