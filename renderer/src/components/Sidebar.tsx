// The list of pairs with their status badges, "Add pair", the global pause switch, and the way to
// Tandem's log and About.
import { progressFraction, type PairConfig } from '../contract.js';
import { basename, pairArrow } from '../format.js';
import { useServices, useSyncState } from '../state/appContext.js';
import { LoginItemToggle } from './LoginItemToggle.js';
import { statusBadge } from './statusText.js';

interface SidebarProps {
  selectedId: string | null;
  onSelect: (pairId: string) => void;
  onAddPair: () => void;
  onAbout: () => void;
  onOpenLog: () => void;
}

export function Sidebar({ selectedId, onSelect, onAddPair, onAbout, onOpenLog }: SidebarProps) {
  const { store, client, desktop } = useServices();
  const pairs = useSyncState((s) => s.pairs);
  const settings = useSyncState((s) => s.settings);
  const pausedAll = settings?.pausedAll ?? false;

  const togglePause = async () => {
    const next = await store.run(client.updateSettings({ pausedAll: !pausedAll }));
    if (next) store.setSettings(next);
  };

  return (
    <aside className="sidebar">
      <div className="sidebar-head">
        <span className="app-name">Tandem</span>
        <button type="button" className="button small" onClick={onAddPair}>
          Add pair
        </button>
      </div>
      <nav aria-label="Pairs" className="pair-nav">
        {pairs.length === 0 ? <p className="sidebar-empty">No pairs yet</p> : null}
        <ul>
          {pairs.map((p) => (
            <li key={p.id}>
              <PairButton pair={p} selected={p.id === selectedId} onSelect={onSelect} />
            </li>
          ))}
        </ul>
      </nav>
      <div className="sidebar-foot">
        <button
          type="button"
          className="button small"
          disabled={settings === null}
          onClick={() => void togglePause()}
        >
          {pausedAll ? 'Resume all' : 'Pause all'}
        </button>
        {pausedAll ? <span className="muted small-text">Automatic syncing is paused</span> : null}
        {desktop ? <LoginItemToggle desktop={desktop} /> : null}
        <button type="button" className="link-button small-text" onClick={onOpenLog}>
          Open log
        </button>
        <button type="button" className="link-button small-text" onClick={onAbout}>
          About Tandem
        </button>
      </div>
    </aside>
  );
}

function PairButton({
  pair,
  selected,
  onSelect,
}: {
  pair: PairConfig;
  selected: boolean;
  onSelect: (id: string) => void;
}) {
  const status = useSyncState((s) => s.statuses[pair.id]);
  const progress = useSyncState((s) => s.progress[pair.id]);
  const badge = statusBadge(pair, status);
  const fraction = progress ? progressFraction(progress) : null;
  return (
    <button
      type="button"
      className={`pair-button${selected ? ' selected' : ''}`}
      aria-current={selected ? 'page' : undefined}
      title={`${pair.source} ${pairArrow(pair)} ${pair.target}`}
      onClick={() => onSelect(pair.id)}
    >
      <span className="pair-name">
        {basename(pair.source)} {pairArrow(pair)} {basename(pair.target)}
      </span>{' '}
      <span className={`badge tone-${badge.tone}`}>{badge.text}</span>
      {fraction !== null ? (
        // The pair view has the accessible progress bar; this is only a glance.
        <span className="mini-progress" aria-hidden="true">
          <span style={{ width: `${Math.round(Math.min(1, fraction) * 100)}%` }} />
        </span>
      ) : null}
    </button>
  );
}
