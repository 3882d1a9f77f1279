// One pair: header, watcher warning, the last scan's notices, progress, and the Pending / History /
// Settings tabs.
import { useState } from 'react';
import type { PairConfig } from '../contract.js';
import { pairArrow, plural } from '../format.js';
import { PendingTab } from '../pending/PendingTab.js';
import { useServices, useSyncState } from '../state/appContext.js';
import { HistoryTab } from './HistoryTab.js';
import { PairHeader } from './PairHeader.js';
import { ProgressBar } from './ProgressBar.js';
import { SettingsTab } from './SettingsTab.js';
import { Tabs, panelId, tabId } from './Tabs.js';
import { TargetChangedBanner } from './TargetChangedBanner.js';
import { useShortcuts } from './useShortcuts.js';

export type PairTab = 'pending' | 'history' | 'settings';

const TABS = [
  { id: 'pending', label: 'Pending' },
  { id: 'history', label: 'History' },
  { id: 'settings', label: 'Settings' },
] as const;

interface PairViewProps {
  pair: PairConfig;
  tab: PairTab;
  onTab: (tab: PairTab) => void;
  onRemoved: () => void;
  /** the pending list's viewport height; measured when omitted (tests inject it) */
  listHeight?: number;
}

export function PairView({ pair, tab, onTab, onRemoved, listHeight }: PairViewProps) {
  const { client, store } = useServices();
  const status = useSyncState((s) => s.statuses[pair.id]);
  const progress = useSyncState((s) => s.progress[pair.id]);
  const [syncing, setSyncing] = useState(false);

  const syncNow = async () => {
    if (syncing) return;
    setSyncing(true);
    const r = await store.run(client.syncNow(pair.id));
    setSyncing(false);
    if (!r) return;
    if (r.failed.length === 0)
      store.notify(
        r.applied === 0 ? 'Nothing approved to apply.' : `Applied ${plural(r.applied, 'change')}.`,
      );
    store.touchPending(pair.id);
  };
  useShortcuts({ s: () => void syncNow() });

  const prefix = `pair-${pair.id}`;
  return (
    <section className="pair-view" aria-label={`${pair.source} ${pairArrow(pair)} ${pair.target}`}>
      <PairHeader
        pair={pair}
        status={status}
        onSyncNow={() => void syncNow()}
        onRemoved={onRemoved}
      />
      {status?.targetChanged ? (
        <TargetChangedBanner pair={pair} message={status.targetChanged} />
      ) : null}
      {status?.watcher.problem ? (
        <div role="alert" className="banner warning">
          {status.watcher.problem}
        </div>
      ) : null}
      {status?.notices?.map((n) => (
        <div key={n} role="status" className="banner info">
          {n}
        </div>
      ))}
      {progress ? <ProgressBar progress={progress} /> : null}
      <Tabs tabs={TABS} selected={tab} onSelect={onTab} idPrefix={prefix} label="Pair views" />
      {TABS.map((t) =>
        t.id === tab ? (
          <div
            key={t.id}
            role="tabpanel"
            id={panelId(prefix, t.id)}
            aria-labelledby={tabId(prefix, t.id)}
            className="tab-panel"
            tabIndex={t.id === 'pending' ? undefined : 0}
          >
            {t.id === 'pending' ? (
              <PendingTab pairId={pair.id} status={status} viewportHeight={listHeight} />
            ) : t.id === 'history' ? (
              <HistoryTab pairId={pair.id} />
            ) : (
              <SettingsTab key={pair.id} pair={pair} />
            )}
          </div>
        ) : (
          // Present but hidden, so every tab's aria-controls points at something.
          <div
            key={t.id}
            role="tabpanel"
            id={panelId(prefix, t.id)}
            aria-labelledby={tabId(prefix, t.id)}
            hidden
          />
        ),
      )}
    </section>
  );
}
