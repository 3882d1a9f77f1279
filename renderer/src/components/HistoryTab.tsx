// The History tab: what Tandem did to the target, newest first (each entry said to be a link, a
// hard link, a special file where its path does not say), and, where a change kept what it
// replaced, the versions of that path, any of which can be restored.
import { useEffect, useState } from 'react';
import { escapeName, type HistoryEntry } from '../contract.js';
import { KIND_LABELS, describeEntry, formatBytes, formatRelative } from '../format.js';
import { useServices, useSyncState } from '../state/appContext.js';
import { useNow } from './useNow.js';
import { PathText } from './PathText.js';
import { VersionsList } from './VersionsList.js';

const PAGE = 100;

const OUTCOME_LABELS: Record<HistoryEntry['outcome'], string> = {
  applied: 'Applied',
  failed: 'Failed',
  rejected: 'Rejected',
  restored: 'Restored',
};

export function HistoryTab({ pairId }: { pairId: string }) {
  const { client, store } = useServices();
  const applied = useSyncState((s) => s.appliedVersion[pairId] ?? 0);
  const [loaded, setLoaded] = useState<{ key: string; entries: HistoryEntry[]; more: boolean }>({
    key: '',
    entries: [],
    more: false,
  });
  const [limit, setLimit] = useState(PAGE);
  // Which row's versions are open, by what the row is: a restore adds a row at the top, which
  // would move an index onto another path.
  const [open, setOpen] = useState<string | null>(null);
  const [restores, setRestores] = useState(0);
  const key = `${pairId}:${applied}:${restores}:${limit}`;

  useEffect(() => {
    let current = true;
    void store.run(client.listHistory(pairId, 0, limit)).then((entries) => {
      if (current && entries) setLoaded({ key, entries, more: entries.length >= limit });
    });
    return () => {
      current = false;
    };
  }, [client, store, pairId, limit, key]);

  const now = useNow(30_000);
  const { entries, more } = loaded;
  if (loaded.key === '') return <p className="muted pad">Loading history…</p>;
  if (entries.length === 0)
    return <p className="muted pad">Nothing synced yet. Changes Tandem applies show up here.</p>;
  return (
    <div className="history">
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Kind</th>
            <th scope="col">Path</th>
            <th scope="col" className="num">
              Bytes
            </th>
            <th scope="col">Outcome</th>
            <th scope="col">
              <span className="visually-hidden">Versions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {entries.map((e, i) => {
            const id = `${e.time}\u0000${e.path}\u0000${e.outcome}`;
            return (
              <HistoryRow
                key={`${id}\u0000${i}`}
                entry={e}
                now={now}
                open={open === id}
                onToggle={() => setOpen(open === id ? null : id)}
                onRestored={() => setRestores((n) => n + 1)}
              />
            );
          })}
        </tbody>
      </table>
      {more ? (
        <button type="button" className="button small" onClick={() => setLimit(limit + PAGE)}>
          Show older
        </button>
      ) : null}
    </div>
  );
}

interface HistoryRowProps {
  entry: HistoryEntry;
  now: number;
  open: boolean;
  onToggle: () => void;
  onRestored: () => void;
}

/** What the change wrote; a folder says so, as in the pending list; a deletion, a move or a
    metadata change writes no content. */
function bytesText(e: HistoryEntry): string {
  if (e.entry === 'dir') return 'Folder';
  if (e.kind === 'delete' || e.kind === 'rename' || e.kind === 'metadata') return '—';
  return formatBytes(e.bytes);
}

/** The line under the path: why it failed, or which version a restore put back. */
function rowMessage(e: HistoryEntry): string | null {
  if (e.outcome === 'restored')
    return e.restoredFrom !== undefined
      ? `Put back the version kept ${new Date(e.restoredFrom).toLocaleString()}`
      : 'Put back a kept version';
  return e.message ?? null;
}

function HistoryRow({ entry: e, now, open, onToggle, onRestored }: HistoryRowProps) {
  const message = rowMessage(e);
  const detail = describeEntry(e);
  return (
    <>
      <tr>
        <td title={new Date(e.time).toLocaleString()}>{formatRelative(e.time, now)}</td>
        <td>{KIND_LABELS[e.kind]}</td>
        <td className="path-cell">
          {e.kind === 'rename' && e.from !== undefined ? (
            <span className="path-text">
              <PathText path={e.from} className="" /> → <PathText path={e.path} className="" />
            </span>
          ) : (
            <PathText path={e.path} />
          )}
          {detail ? <span className="entry-detail">{detail}</span> : null}
          {message ? <span className="row-message">{message}</span> : null}
        </td>
        <td className="num">{bytesText(e)}</td>
        <td>
          <span className={`outcome outcome-${e.outcome}`}>{OUTCOME_LABELS[e.outcome]}</span>
        </td>
        <td>
          {/* Only where this change kept what it replaced: new files and folders have no versions. */}
          {e.keptVersion ? (
            <button
              type="button"
              className="button small"
              aria-label={`Versions of ${escapeName(e.path)}`}
              aria-expanded={open}
              onClick={onToggle}
            >
              Versions
            </button>
          ) : null}
        </td>
      </tr>
      {open ? (
        <tr className="versions-row">
          <td colSpan={6}>
            <VersionsList pairId={e.pairId} path={e.path} onRestored={onRestored} />
          </td>
        </tr>
      ) : null}
    </>
  );
}
