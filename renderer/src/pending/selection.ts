// Which rows are checked: a set of paths, or "all matching the query" minus some, so selecting all
// of 100,000 rows needs no list of them until the user acts on it.
export type RowSelection =
  { all: false; paths: ReadonlySet<string> } | { all: true; except: ReadonlySet<string> };

export const NO_SELECTION: RowSelection = { all: false, paths: new Set() };
export const ALL_SELECTED: RowSelection = { all: true, except: new Set() };

export function isSelected(sel: RowSelection, path: string): boolean {
  return sel.all ? !sel.except.has(path) : sel.paths.has(path);
}

export function toggleRow(sel: RowSelection, path: string): RowSelection {
  const flip = (s: ReadonlySet<string>) => {
    const next = new Set(s);
    if (!next.delete(path)) next.add(path);
    return next;
  };
  return sel.all ? { all: true, except: flip(sel.except) } : { all: false, paths: flip(sel.paths) };
}

export function selectedCount(sel: RowSelection, total: number): number {
  return sel.all ? Math.max(0, total - sel.except.size) : sel.paths.size;
}
