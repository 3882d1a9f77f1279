import { describe, expect, it } from 'vitest';
import { viewLogLine } from './logLines.js';

const names = new Map([['p1', 'Docs → Backup']]);
const at = '2026-12-01T20:08:06.700Z';

describe('viewLogLine', () => {
  it('shows time, level, the pair by name, the message and the rest', () => {
    const line = JSON.stringify({
      level: 'info',
      time: at,
      pid: 7,
      pair: 'p1',
      ms: { open: 16, total: 61 },
      applied: 1,
      msg: 'cycle',
    });
    expect(viewLogLine(line, names)).toEqual({
      time: new Date(at).toLocaleString(),
      level: 'info',
      pair: 'Docs → Backup',
      text: 'cycle  ms={"open":16,"total":61}  applied=1',
    });
  });

  it.each([
    ['a pair it no longer knows', JSON.stringify({ level: 'warn', pair: 'gone', msg: 'held' })],
    ['a line that is not JSON', 'tandem: something odd'],
  ])('copes with %s', (_name, line) => {
    const v = viewLogLine(line, names);
    expect(v.text).toMatch(/held|something odd/);
    expect(v.pair).toBe(line.includes('gone') ? 'gone' : '');
  });
});
