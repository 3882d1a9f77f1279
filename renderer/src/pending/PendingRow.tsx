// One pending change: checkbox, kind, path with its conflict and approval marks, chunks, size.
import { memo } from 'react';
import type { PendingChange, ShownChange } from '../contract.js';
import { CONFLICT_EXPLANATIONS, KIND_LABELS, entryDetail, formatBytes } from '../format.js';
import { escapeName } from '../contract.js';
import { PathText } from '../components/PathText.js';
import { useSyncState } from '../state/appContext.js';
import { ChunkMap } from './ChunkMap.js';

export const ROW_HEIGHT = 32;

interface PendingRowProps {
  index: number;
  item: PendingChange | undefined;
  rowId: string;
  selected: boolean;
  focused: boolean;
  onToggle: (index: number, row: ShownChange) => void;
  onFocusRow: (index: number) => void;
}

export const PendingRow = memo(function PendingRow({
  index,
  item,
  rowId,
  selected,
  focused,
  onToggle,
  onFocusRow,
}: PendingRowProps) {
  // With auto-approve off every change waits for a person, so the hint would only be noise; it
  // speaks when the pair applies changes on its own and this one is held back.
  const autoApprove = useSyncState(
    (s) => s.pairs.find((p) => p.id === item?.pairId)?.policy.autoApprove ?? false,
  );
  const style = { transform: `translateY(${index * ROW_HEIGHT}px)`, height: ROW_HEIGHT };
  if (!item)
    return (
      <div role="row" id={rowId} aria-rowindex={index + 1} className="row loading" style={style}>
        <div role="gridcell" className="cell path muted">
          Loading…
        </div>
      </div>
    );
  const entry = item.source ?? item.target;
  const detail = entryDetail(item);
  const size = entry && entry.type !== 'dir' ? formatBytes(entry.size) : entry ? 'Folder' : '';
  return (
    <div
      role="row"
      id={rowId}
      aria-rowindex={index + 1}
      aria-selected={selected}
      className={`row${selected ? ' selected' : ''}${focused ? ' focused' : ''}`}
      style={style}
      onMouseDown={() => onFocusRow(index)}
    >
      <div role="gridcell" className="cell check">
        <input
          type="checkbox"
          aria-label={`Select ${escapeName(item.path)}`}
          checked={selected}
          tabIndex={-1}
          onChange={() => onToggle(index, item)}
        />
      </div>
      <div role="gridcell" className="cell kind">
        {item.direction ? (
          <span
            className="dir-badge"
            title={
              item.direction === 'aToB' ? "A's change, written on B" : "B's change, written on A"
            }
          >
            {item.direction === 'aToB' ? 'A → B' : 'B → A'}
          </span>
        ) : null}
        <span className={`kind-badge kind-${item.kind}`}>{KIND_LABELS[item.kind]}</span>
      </div>
      <div role="gridcell" className="cell path" title={escapeName(item.path)}>
        {item.kind === 'rename' && item.from ? (
          <span className="path-text">
            <PathText path={item.from} className="" /> → <PathText path={item.path} className="" />
          </span>
        ) : (
          <PathText path={item.path} />
        )}
        {detail ? <span className="entry-detail">{detail}</span> : null}
        {item.conflict ? (
          <span className="badge tone-conflict" title={CONFLICT_EXPLANATIONS[item.conflict]}>
            Conflict
          </span>
        ) : null}
        {item.needsPerson && (item.conflict || autoApprove) ? (
          <span className="needs-you" title={item.needsPerson}>
            needs you
          </span>
        ) : null}
        {item.approved ? <span className="approved-mark">✓ Approved</span> : null}
      </div>
      <div role="gridcell" className="cell chunks">
        {item.kind === 'update' && item.chunks ? (
          <>
            <span className="chunk-text">
              {item.chunks.changed.length.toLocaleString()} of {item.chunks.total.toLocaleString()}{' '}
              {item.chunks.total === 1 ? 'chunk' : 'chunks'}{' '}
              {item.chunks.changed.length === 1 ? 'differs' : 'differ'}
            </span>
            <ChunkMap total={item.chunks.total} changed={item.chunks.changed} />
          </>
        ) : null}
      </div>
      <div
        role="gridcell"
        className="cell size"
        title={`${formatBytes(item.bytesToWrite)} to write`}
      >
        {size}
      </div>
    </div>
  );
});
