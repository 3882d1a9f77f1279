// The controls above the pending list: filter, kind, sort, select all, approve and reject.
import type { ReactNode, Ref } from 'react';
import type { ChangeKind } from '../contract.js';
import { KIND_LABELS } from '../format.js';

export type KindFilter = '' | ChangeKind | 'conflicts';

const KINDS = Object.keys(KIND_LABELS) as ChangeKind[];

interface PendingToolbarProps {
  filter: string;
  onFilter: (text: string) => void;
  filterRef: Ref<HTMLInputElement>;
  kind: KindFilter;
  onKind: (k: KindFilter) => void;
  sort: 'path' | 'size' | 'kind';
  onSort: (s: 'path' | 'size' | 'kind') => void;
  allChecked: boolean;
  someChecked: boolean;
  canSelect: boolean;
  onSelectAll: (checked: boolean) => void;
  selectedCount: number;
  /** changes "Approve all" would approve: the pair's, or those matching the filter */
  total: number;
  filtered: boolean;
  onApproveSelected: () => void;
  onApproveAll: () => void;
  onRejectSelected: () => void;
  /** the line saying what is pending, shown beside the actions */
  summary: ReactNode;
}

export function PendingToolbar({ filterRef, ...p }: PendingToolbarProps) {
  return (
    <>
      <div className="toolbar">
        <label className="check-label">
          <input
            type="checkbox"
            checked={p.allChecked}
            disabled={!p.canSelect}
            ref={(el) => {
              if (el) el.indeterminate = p.someChecked && !p.allChecked;
            }}
            onChange={(e) => p.onSelectAll(e.target.checked)}
          />
          Select all
        </label>
        <input
          ref={filterRef}
          type="search"
          className="input filter"
          aria-label="Filter by path"
          placeholder="Filter by path  /"
          value={p.filter}
          onChange={(e) => p.onFilter(e.target.value)}
        />
        <label className="select-label">
          Kind
          <select
            className="select"
            value={p.kind}
            onChange={(e) => p.onKind(e.target.value as KindFilter)}
          >
            <option value="">All</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
            <option value="conflicts">Conflicts only</option>
          </select>
        </label>
        <label className="select-label">
          Sort by
          <select
            className="select"
            value={p.sort}
            onChange={(e) => p.onSort(e.target.value as 'path' | 'size' | 'kind')}
          >
            <option value="path">Path</option>
            <option value="size">Size</option>
            <option value="kind">Kind</option>
          </select>
        </label>
      </div>
      <div className="actionbar">
        <p className="summary" aria-live="polite">
          {p.summary}
        </p>
        <button
          type="button"
          className="button"
          disabled={p.selectedCount === 0}
          onClick={p.onRejectSelected}
        >
          Reject selected
        </button>
        <button
          type="button"
          className="button"
          disabled={p.selectedCount === 0}
          onClick={p.onApproveSelected}
        >
          Approve selected
        </button>
        <button
          type="button"
          className="button primary"
          disabled={p.total === 0}
          onClick={p.onApproveAll}
        >
          {p.filtered ? 'Approve all matching' : 'Approve all'}
        </button>
      </div>
    </>
  );
}
