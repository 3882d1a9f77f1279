import { describe, expect, it } from 'vitest';
import { formatBytes, progressFraction } from './format.js';

describe('formatBytes', () => {
  it.each<[number, string]>([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1 KiB'],
    [1536, '1.5 KiB'],
    [10 * 1024, '10 KiB'],
    [1023.7 * 1024, '1 MiB'],
    [2.5 * 2 ** 20, '2.5 MiB'],
    [200 * 2 ** 20, '200 MiB'],
    [3 * 2 ** 30, '3 GiB'],
    [NaN, '0 B'],
    [-5, '0 B'],
  ])('%d → %s', (n, s) => expect(formatBytes(n)).toBe(s));
});

describe('progressFraction', () => {
  const p = { phase: 'apply' as const, bytesDone: 0, bytesTotal: 0, itemsDone: 0, itemsTotal: 0 };
  it.each([
    [{ ...p, bytesDone: 50, bytesTotal: 200, itemsDone: 9, itemsTotal: 10 }, 0.25],
    [{ ...p, itemsDone: 3, itemsTotal: 4 }, 0.75],
    [{ ...p }, 1],
    [{ ...p, bytesDone: 300, bytesTotal: 200 }, 1],
  ])('%o → %d', (prog, f) => expect(progressFraction(prog)).toBe(f));
});
