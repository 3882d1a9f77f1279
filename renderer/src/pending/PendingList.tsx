// The virtualised grid of pending changes: fixed-height rows, only those in view (plus overscan)
// in the DOM, so 100,000 changes scroll as smoothly as ten.
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { ShownChange } from '../contract.js';
import { isSelected, type RowSelection } from './selection.js';
import type { PendingPages } from './pendingPages.js';
import { PendingRow, ROW_HEIGHT } from './PendingRow.js';

const OVERSCAN = 10;
/** what to assume before layout (and in jsdom, which has none) */
const FALLBACK_HEIGHT = 600;

interface PendingListProps {
  pages: PendingPages;
  selection: RowSelection;
  focusedIndex: number;
  onFocusIndex: (index: number) => void;
  onToggle: (index: number, row: ShownChange) => void;
  /** told the first row in view as the user scrolls, so the keyboard starts there */
  onFirstVisible?: (index: number) => void;
  /** the scroll viewport's height in px; measured when omitted */
  viewportHeight?: number;
  emptyText: string;
}

export function PendingList({
  pages,
  selection,
  focusedIndex,
  onFocusIndex,
  onToggle,
  onFirstVisible,
  viewportHeight,
  emptyText,
}: PendingListProps) {
  useSyncExternalStore(pages.subscribe, pages.getVersion);
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [measured, setMeasured] = useState<number | null>(null);

  useEffect(() => {
    const el = scroller.current;
    if (!el || viewportHeight !== undefined || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => setMeasured(el.clientHeight || null));
    ro.observe(el);
    return () => ro.disconnect();
  }, [viewportHeight]);

  const height = viewportHeight ?? measured ?? FALLBACK_HEIGHT;
  const total = pages.total;
  const count = total ?? 0;
  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(
    Math.max(0, count - 1),
    Math.ceil((scrollTop + height) / ROW_HEIGHT) + OVERSCAN,
  );

  useEffect(() => {
    // Before the first answer the total is unknown: ask for the first screenful.
    pages.ensure(first, total === null ? Math.ceil(height / ROW_HEIGHT) : last);
  }, [pages, first, last, total, height]);

  // Keep the focused row in view when the keyboard moves it.
  useEffect(() => {
    const el = scroller.current;
    if (!el || focusedIndex < 0) return;
    const top = focusedIndex * ROW_HEIGHT;
    let next = el.scrollTop;
    if (top < next) next = top;
    else if (top + ROW_HEIGHT > next + height) next = top + ROW_HEIGHT - height;
    if (next !== el.scrollTop) {
      el.scrollTop = next;
      setScrollTop(next);
    }
  }, [focusedIndex, height]);

  const rowId = useCallback((i: number) => `pending-row-${i}`, []);

  const rows = [];
  for (let i = first; i <= last && i < count; i++) {
    const item = pages.item(i);
    rows.push(
      <PendingRow
        key={i}
        index={i}
        rowId={rowId(i)}
        item={item}
        selected={item ? isSelected(selection, item.path) : false}
        focused={i === focusedIndex}
        onToggle={onToggle}
        onFocusRow={onFocusIndex}
      />,
    );
  }
  const activeRendered = focusedIndex >= first && focusedIndex <= last && focusedIndex < count;

  return (
    <div
      ref={scroller}
      role="grid"
      aria-label="Pending changes"
      aria-rowcount={count}
      aria-multiselectable="true"
      aria-activedescendant={activeRendered ? rowId(focusedIndex) : undefined}
      tabIndex={0}
      className="pending-list"
      style={viewportHeight !== undefined ? { height: viewportHeight } : undefined}
      onScroll={(e) => {
        const top = e.currentTarget.scrollTop;
        setScrollTop(top);
        onFirstVisible?.(Math.ceil(top / ROW_HEIGHT));
      }}
      onFocus={(e) => {
        if (e.target === e.currentTarget && focusedIndex < 0 && count > 0) onFocusIndex(0);
      }}
    >
      {total === 0 ? (
        <div role="row" className="list-empty">
          <div role="gridcell">{emptyText}</div>
        </div>
      ) : (
        <div className="list-spacer" role="presentation" style={{ height: count * ROW_HEIGHT }}>
          {rows}
        </div>
      )}
    </div>
  );
}
