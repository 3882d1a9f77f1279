// The Pending tab: what a sync would change, filtered and sorted, with approval and rejection of
// single rows, a selection, or everything, by mouse or by keyboard.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { PairStatus, Selection, ShownChange, ShownList } from '../contract.js';
import { useShortcuts } from '../components/useShortcuts.js';
import { formatBytes, plural } from '../format.js';
import { outcomeText } from './outcomeText.js';
import { useServices, useSyncState } from '../state/appContext.js';
import { PendingList } from './PendingList.js';
import { ConflictPanel } from './ConflictPanel.js';
import { PendingToolbar, type KindFilter } from './PendingToolbar.js';
import {
  ALL_SELECTED,
  NO_SELECTION,
  pickedChanges,
  selectedCount,
  toggleRow,
  type RowSelection,
} from './selection.js';
import { usePendingPages, type ListQuery } from './usePendingPages.js';

const FILTER_DELAY_MS = 200;

interface PendingTabProps {
  pairId: string;
  status: PairStatus | undefined;
  viewportHeight?: number;
}

export function PendingTab({ pairId, status, viewportHeight }: PendingTabProps) {
  const { client, store } = useServices();
  const version = useSyncState((s) => s.pendingVersion[pairId] ?? 0);
  const pair = useSyncState((s) => s.pairs.find((p) => p.id === pairId));
  const [filter, setFilter] = useState('');
  const [pathContains, setPathContains] = useState('');
  const [kind, setKind] = useState<KindFilter>('');
  const [sort, setSort] = useState<'path' | 'size' | 'kind'>('path');
  const filterRef = useRef<HTMLInputElement>(null);
  const firstVisible = useRef(0);

  useEffect(() => {
    const t = setTimeout(() => setPathContains(filter.trim()), FILTER_DELAY_MS);
    return () => clearTimeout(t);
  }, [filter]);

  const query: ListQuery = {
    sort,
    pathContains: pathContains || undefined,
    kinds: kind && kind !== 'conflicts' ? [kind] : undefined,
    conflictsOnly: kind === 'conflicts' || undefined,
  };
  const queryKey = JSON.stringify(query);
  const filtered = pathContains !== '' || kind !== '';
  const pages = usePendingPages(pairId, query, String(version));

  // Selection and row focus belong to one query: a new filter starts afresh, so nothing hidden
  // by the filter is approved by accident.
  const [picked, setPicked] = useState({ key: '', sel: NO_SELECTION, focus: -1 });
  const scope = `${pairId}\u0000${queryKey}`;
  const selection: RowSelection = picked.key === scope ? picked.sel : NO_SELECTION;
  const focusedIndex = picked.key === scope ? picked.focus : -1;
  const setSelection = (sel: RowSelection) => setPicked({ key: scope, sel, focus: focusedIndex });
  const setFocus = useCallback(
    (focus: number) =>
      setPicked((p) =>
        p.key === scope ? { ...p, focus } : { key: scope, sel: NO_SELECTION, focus },
      ),
    [scope],
  );
  const onToggle = useCallback(
    (index: number, row: ShownChange) =>
      setPicked((p) => {
        const sel = p.key === scope ? p.sel : NO_SELECTION;
        return { key: scope, sel: toggleRow(sel, row), focus: index };
      }),
    [scope],
  );

  const total = pages.total ?? 0;
  const count = selectedCount(selection, total);

  /**
   * The selection as approve and reject take it: the rows picked with the revs they were shown
   * with, or the list as shown (its revision and filter), never "whatever is pending now". Null
   * when nothing is selected or nothing has been shown yet.
   */
  const shownSelection = (all: boolean): Selection | null => {
    if (!all && !selection.all)
      return selection.picked.size > 0 ? { pairId, changes: pickedChanges(selection) } : null;
    const shown = pages.shownRevision();
    if (!shown || total === 0) return null;
    const list: ShownList = { ...shown };
    if (query.kinds) list.kinds = query.kinds;
    if (query.conflictsOnly) list.conflictsOnly = true;
    if (query.pathContains) list.pathContains = query.pathContains;
    if (!all && selection.all && selection.except.size > 0) list.except = [...selection.except];
    return { pairId, list };
  };

  const act = async (verb: 'approve' | 'reject', all: boolean) => {
    const sel = shownSelection(all);
    if (!sel) return;
    const outcome = await store.run(verb === 'approve' ? client.approve(sel) : client.reject(sel));
    if (outcome === undefined) return;
    setPicked({ key: scope, sel: NO_SELECTION, focus: focusedIndex });
    // Changes left alone need the person's eyes: that notice stays until dismissed.
    if (outcome.changedCount > 0) store.report(outcomeText(verb, outcome));
    else store.notify(outcomeText(verb, outcome));
    store.touchPending(pairId);
  };

  const move = (e: KeyboardEvent, delta: number) => {
    // Arrow keys belong to whatever has focus, unless that is the page or the list itself.
    if (e.key.startsWith('Arrow') && !onListOrPage(e.target)) return;
    e.preventDefault();
    // With no row focused yet, start from the first row in view rather than the top of the list.
    const from = focusedIndex >= 0 ? focusedIndex + delta : firstVisible.current;
    if (total > 0) setFocus(Math.max(0, Math.min(total - 1, from)));
  };
  useShortcuts({
    '/': (e) => {
      e.preventDefault();
      filterRef.current?.focus();
    },
    j: (e) => move(e, 1),
    ArrowDown: (e) => move(e, 1),
    k: (e) => move(e, -1),
    ArrowUp: (e) => move(e, -1),
    ' ': (e) => {
      const item = focusedIndex >= 0 ? pages.item(focusedIndex) : undefined;
      if (!item || !onListOrPage(e.target)) return;
      e.preventDefault();
      onToggle(focusedIndex, item);
    },
    a: () => void act('approve', false),
    A: () => void act('approve', true),
    r: () => void act('reject', false),
  });

  const pairTotal = Math.max(status?.pending ?? 0, filtered ? 0 : total);
  const emptyText = filtered
    ? 'No pending changes match the filter.'
    : status?.state === 'inSync'
      ? 'Nothing pending — source and target are identical.'
      : status?.state === 'scanning' || status?.state === 'starting'
        ? 'Scanning…'
        : 'Nothing pending.';

  return (
    <div className="pending-tab">
      {pair?.mode === 'twoWay' ? <ConflictPanel pair={pair} /> : null}
      <PendingToolbar
        filter={filter}
        onFilter={setFilter}
        filterRef={filterRef}
        kind={kind}
        onKind={setKind}
        sort={sort}
        onSort={setSort}
        allChecked={selection.all && selection.except.size === 0 && total > 0}
        someChecked={count > 0}
        canSelect={total > 0}
        onSelectAll={(on) => setSelection(on ? ALL_SELECTED : NO_SELECTION)}
        selectedCount={count}
        total={filtered ? total : pairTotal}
        filtered={filtered}
        onApproveSelected={() => void act('approve', false)}
        onApproveAll={() => void act('approve', true)}
        onRejectSelected={() => void act('reject', false)}
        summary={
          summaryText(status, pages, filtered) +
          (count > 0 ? ` · ${count.toLocaleString()} selected` : '')
        }
      />
      <PendingList
        pages={pages}
        selection={selection}
        focusedIndex={focusedIndex}
        onFocusIndex={setFocus}
        onToggle={onToggle}
        onFirstVisible={(i) => (firstVisible.current = i)}
        viewportHeight={viewportHeight}
        emptyText={emptyText}
      />
    </div>
  );
}

function onListOrPage(target: EventTarget | null): boolean {
  return (
    target === document.body ||
    (target instanceof Element && target.closest('[role="grid"]') !== null)
  );
}

/** "3 changes, 1 conflict, 12 MiB to write" (the service sums the size over the whole query). */
function summaryText(
  status: PairStatus | undefined,
  pages: ReturnType<typeof usePendingPages>,
  filtered: boolean,
): string {
  // The list's own total is fresher than the status when both are known.
  const changes = pages.total ?? (filtered ? 0 : (status?.pending ?? 0));
  const parts = [plural(changes, 'change')];
  if (!filtered) parts.push(plural(status?.conflicts ?? 0, 'conflict'));
  if (pages.bytesToWrite !== null) parts.push(`${formatBytes(pages.bytesToWrite)} to write`);
  const text = parts.join(', ');
  return filtered ? `${text} match the filter` : text;
}
