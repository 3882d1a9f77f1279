// The window's remembered size, position and maximized state, and where to put it now that the
// displays may have changed (a monitor unplugged, a laptop undocked). Pure; mainWindow.ts persists.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SavedWindow extends Rect {
  maximized: boolean;
}

export interface Placement {
  /** absent: let the OS centre the window */
  x?: number;
  y?: number;
  width: number;
  height: number;
}

export const DEFAULT_SIZE = { width: 1100, height: 720 } as const;
export const MIN_SIZE = { width: 720, height: 480 } as const;

/** The strip a user grabs to move a window; it must stay reachable. */
const TITLE_BAR = 32;
/** how much of that strip must be on a display for the saved position to be kept */
const GRAB_WIDTH = 100;
const GRAB_HEIGHT = 16;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads a saved window state from untrusted JSON; null when it is missing or malformed. */
export function parseWindowState(json: unknown): SavedWindow | null {
  if (typeof json !== 'object' || json === null) return null;
  const o = json as Record<string, unknown>;
  if (!isNum(o.x) || !isNum(o.y) || !isNum(o.width) || !isNum(o.height)) return null;
  if (o.width <= 0 || o.height <= 0) return null;
  return {
    x: Math.round(o.x),
    y: Math.round(o.y),
    width: Math.round(o.width),
    height: Math.round(o.height),
    maximized: o.maximized === true,
  };
}

function overlap(a: Rect, b: Rect): { width: number; height: number } {
  return {
    width: Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x)),
    height: Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y)),
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(v, Math.max(lo, hi)));

function sizeWithin(size: { width: number; height: number }, area: Rect | undefined) {
  const maxW = area ? area.width : size.width;
  const maxH = area ? area.height : size.height;
  return {
    width: Math.round(clamp(size.width, Math.min(MIN_SIZE.width, maxW), maxW)),
    height: Math.round(clamp(size.height, Math.min(MIN_SIZE.height, maxH), maxH)),
  };
}

/**
 * Where to open the window. `workAreas` are the displays' work areas, the primary display first.
 * A saved position is kept only while enough of its title bar lies on a display to grab it; the
 * size is shrunk to fit that display and the window moved inside it. Otherwise the saved size
 * (or the default) opens centred on the primary display.
 */
export function fitBounds(saved: Rect | null, workAreas: readonly Rect[]): Placement {
  const primary = workAreas[0];
  if (!saved) return sizeWithin(DEFAULT_SIZE, primary);
  const titleBar: Rect = { x: saved.x, y: saved.y, width: saved.width, height: TITLE_BAR };
  let best: Rect | undefined;
  let bestArea = 0;
  for (const area of workAreas) {
    const o = overlap(titleBar, area);
    if (o.width >= Math.min(GRAB_WIDTH, saved.width) && o.height >= GRAB_HEIGHT) {
      if (o.width * o.height > bestArea) {
        best = area;
        bestArea = o.width * o.height;
      }
    }
  }
  if (!best) return sizeWithin(saved, primary);
  const size = sizeWithin(saved, best);
  return {
    x: Math.round(clamp(saved.x, best.x, best.x + best.width - size.width)),
    y: Math.round(clamp(saved.y, best.y, best.y + best.height - size.height)),
    ...size,
  };
}
