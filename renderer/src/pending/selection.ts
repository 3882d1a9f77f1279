// Which rows are checked: the rows picked, each with the rev it was shown with, or "all matching
// the query" minus some, so selecting all of 100,000 rows needs no list of them until the user
// acts on it. Approvals name what was shown (the service applies nothing that moved on since).
import type { ShownChange } from '../contract.js';

export type RowSelection =
  { all: false; picked: ReadonlyMap<string, string> } | { all: true; except: ReadonlySet<string> };

export const NO_SELECTION: RowSelection = { all: false, picked: new Map() };
export const ALL_SELECTED: RowSelection = { all: true, except: new Set() };

export function isSelected(sel: RowSelection, path: string): boolean {
  return sel.all ? !sel.except.has(path) : sel.picked.has(path);
}

/** Ticks or unticks a row; a ticked row remembers the rev it had when it was ticked. */
export function toggleRow(sel: RowSelection, row: ShownChange): RowSelection {
  if (sel.all) {
    const except = new Set(sel.except);
    if (!except.delete(row.path)) except.add(row.path);
    return { all: true, except };
  }
  const picked = new Map(sel.picked);
  if (!picked.delete(row.path)) picked.set(row.path, row.rev);
  return { all: false, picked };
}

/** The picked rows as approve and reject take them. */
export function pickedChanges(sel: RowSelection & { all: false }): ShownChange[] {
  return [...sel.picked].map(([path, rev]) => ({ path, rev }));
}

export function selectedCount(sel: RowSelection, total: number): number {
  return sel.all ? Math.max(0, total - sel.except.size) : sel.picked.size;
}
