import { describe, expect, it } from 'vitest';
import { DEFAULT_SIZE, MIN_SIZE, fitBounds, parseWindowState } from './windowState.js';

const laptop = { x: 0, y: 0, width: 1440, height: 875 };
const leftMonitor = { x: -1920, y: 0, width: 1920, height: 1050 };

describe('fitBounds', () => {
  it('uses the default size, centred, when nothing was saved', () => {
    expect(fitBounds(null, [laptop])).toEqual(DEFAULT_SIZE);
  });

  it('shrinks the default to a small screen', () => {
    expect(fitBounds(null, [{ x: 0, y: 0, width: 1024, height: 600 }])).toEqual({
      width: 1024,
      height: 600,
    });
  });

  it('keeps a window that is on a display', () => {
    const saved = { x: 100, y: 80, width: 1000, height: 700 };
    expect(fitBounds(saved, [laptop])).toEqual(saved);
  });

  it('keeps a window on a second display at negative coordinates', () => {
    const saved = { x: -1800, y: 50, width: 1200, height: 800 };
    expect(fitBounds(saved, [laptop, leftMonitor])).toEqual(saved);
  });

  it('centres the window on the primary display when its display is gone', () => {
    const saved = { x: -1800, y: 50, width: 1200, height: 800 };
    expect(fitBounds(saved, [laptop])).toEqual({ width: 1200, height: 800 });
  });

  it('shrinks a window larger than its display and moves it inside', () => {
    const saved = { x: -1900, y: 0, width: 2400, height: 1400 };
    expect(fitBounds(saved, [laptop, leftMonitor])).toEqual({
      x: -1920,
      y: 0,
      width: 1920,
      height: 1050,
    });
  });

  it('moves a partly hidden window fully onto its display', () => {
    const saved = { x: 1000, y: 500, width: 800, height: 600 };
    expect(fitBounds(saved, [laptop])).toEqual({ x: 640, y: 275, width: 800, height: 600 });
  });

  it('drops the position when only a sliver of the title bar is visible', () => {
    const saved = { x: 1400, y: 100, width: 800, height: 600 };
    expect(fitBounds(saved, [laptop])).toEqual({ width: 800, height: 600 });
  });

  it('drops the position when the title bar is above every display', () => {
    const saved = { x: 100, y: -500, width: 800, height: 600 };
    expect(fitBounds(saved, [laptop])).toEqual({ width: 800, height: 600 });
  });

  it('picks the display holding most of the title bar', () => {
    const right = { x: 1440, y: 0, width: 2560, height: 1400 };
    const saved = { x: 1300, y: 100, width: 1000, height: 1200 };
    expect(fitBounds(saved, [laptop, right])).toEqual({
      x: 1440,
      y: 100,
      width: 1000,
      height: 1200,
    });
  });

  it('never opens smaller than the minimum size', () => {
    const saved = { x: 10, y: 10, width: 50, height: 40 };
    expect(fitBounds(saved, [laptop])).toEqual({ x: 10, y: 10, ...MIN_SIZE });
  });

  it('works with no display information', () => {
    expect(fitBounds({ x: 5, y: 5, width: 900, height: 600 }, [])).toEqual({
      width: 900,
      height: 600,
    });
  });
});

describe('parseWindowState', () => {
  it('reads a saved state', () => {
    expect(parseWindowState({ x: 1.4, y: 2, width: 900, height: 600, maximized: true })).toEqual({
      x: 1,
      y: 2,
      width: 900,
      height: 600,
      maximized: true,
    });
  });
  it.each([
    [null],
    ['x'],
    [{ x: 1, y: 2, width: 900 }],
    [{ x: 1, y: 2, width: 0, height: 600 }],
    [{ x: Number.NaN, y: 2, width: 900, height: 600 }],
    [{ x: '1', y: 2, width: 900, height: 600 }],
  ])('rejects %o', (j) => expect(parseWindowState(j)).toBeNull());
  it('treats a missing maximized flag as not maximized', () => {
    expect(parseWindowState({ x: 0, y: 0, width: 800, height: 600 })?.maximized).toBe(false);
  });
});
