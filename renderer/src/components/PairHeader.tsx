// The top of a pair's view: its two folders, its state and the commands that act on the pair.
import { useState } from 'react';
import type { PairConfig, PairStatus } from '../contract.js';
import { formatRelative } from '../format.js';
import { useServices } from '../state/appContext.js';
import { Dialog } from './Dialog.js';
import { statusBadge } from './statusText.js';
import { useNow } from './useNow.js';

interface PairHeaderProps {
  pair: PairConfig;
  status: PairStatus | undefined;
  onSyncNow: () => void;
  onRemoved: () => void;
}

export function PairHeader({ pair, status, onSyncNow, onRemoved }: PairHeaderProps) {
  const { client, store } = useServices();
  const [confirming, setConfirming] = useState(false);
  const now = useNow(30_000);
  const badge = statusBadge(pair, status);

  const scan = async () => {
    const st = await store.run(client.scanNow(pair.id));
    if (st) store.handle({ type: 'pairStatus', status: st });
  };
  const pause = async () => {
    const next = await store.run(client.pausePair(pair.id, !pair.paused));
    if (next) store.putPair(next);
  };
  const remove = async () => {
    setConfirming(false);
    const done = await store.run(client.removePair(pair.id));
    if (done !== undefined) onRemoved();
  };

  const when = status?.lastSyncAt
    ? `last synced ${formatRelative(status.lastSyncAt, now)}`
    : status?.lastScanAt
      ? `last scanned ${formatRelative(status.lastScanAt, now)}`
      : 'not synced yet';

  return (
    <header className="pair-header">
      <div className="pair-paths">
        <h1 className="pair-title">
          <span className="path-text" title={pair.source}>
            {pair.source}
          </span>
          {pair.mode === 'twoWay' ? (
            <span className="arrow" aria-label="and, both ways," title="A two-way pair">
              {' ⇄ '}
            </span>
          ) : (
            <span className="arrow" aria-label="to">
              {' → '}
            </span>
          )}
          <span className="path-text" title={pair.target}>
            {pair.target}
          </span>
        </h1>
        <p className="status-line">
          <span className={`badge tone-${badge.tone}`}>{badge.text}</span>
          {pair.mode === 'twoWay' ? <span className="badge">Two-way</span> : null}
          <span className="muted">{when}</span>
          {/* A refused target has its own banner below, with the button that resolves it. */}
          {status?.state === 'error' && status.lastError && !status.targetChanged ? (
            <span className="error-text">{status.lastError}</span>
          ) : null}
        </p>
      </div>
      <div className="header-buttons">
        <button type="button" className="button" onClick={() => void scan()}>
          Scan now
        </button>
        <button type="button" className="button primary" onClick={onSyncNow}>
          Sync now
        </button>
        <button type="button" className="button" onClick={() => void pause()}>
          {pair.paused ? 'Resume pair' : 'Pause pair'}
        </button>
        <button type="button" className="button danger" onClick={() => setConfirming(true)}>
          Remove pair
        </button>
      </div>
      {confirming ? (
        <Dialog title="Remove this pair?" onClose={() => setConfirming(false)}>
          <p>
            Tandem stops syncing {pair.source} to {pair.target}. No files are deleted: both folders
            stay as they are, and the versions Tandem kept stay in the target&apos;s .tandem folder.
          </p>
          <div className="dialog-buttons">
            <button type="button" className="button" onClick={() => setConfirming(false)}>
              Cancel
            </button>
            <button type="button" className="button danger" onClick={() => void remove()}>
              Remove
            </button>
          </div>
        </Dialog>
      ) : null}
    </header>
  );
}
