// The versions Tandem kept of one path before replacing or deleting it, each restorable.
import { useEffect, useState } from 'react';
import type { VersionInfo } from '../contract.js';
import { formatBytes } from '../format.js';
import { useServices } from '../state/appContext.js';

interface VersionsListProps {
  pairId: string;
  path: string;
  onRestored: () => void;
}

export function VersionsList({ pairId, path, onRestored }: VersionsListProps) {
  const { client, store } = useServices();
  const [versions, setVersions] = useState<VersionInfo[] | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let current = true;
    void store.run(client.listVersions(pairId, path)).then((v) => {
      if (current) setVersions(v ?? []);
    });
    return () => {
      current = false;
    };
  }, [client, store, pairId, path]);

  const restore = async (v: VersionInfo) => {
    setBusy(true);
    const done = await store.run(client.restoreVersion(pairId, path, v.run, v.stored, v.side));
    setBusy(false);
    if (done === undefined) return;
    store.notify(`Restored ${path}`);
    onRestored();
  };

  if (versions === null) return <p className="muted">Loading versions…</p>;
  if (versions.length === 0)
    return <p className="muted">No versions kept of {path}; older ones may have expired.</p>;
  return (
    <ul className="versions" aria-label={`Versions of ${path}`}>
      {versions.map((v) => {
        const when = new Date(v.time).toLocaleString();
        // A two-way pair keeps versions on both sides: each says whose it is.
        const on = v.side === 'source' ? 'A' : v.side === 'target' ? 'B' : null;
        return (
          <li key={`${v.side ?? ''}/${v.run}/${v.stored}`}>
            <span>{when}</span>
            {on && <span className="badge">on {on}</span>}
            <span className="muted">{v.kind === 'dir' ? 'Folder' : formatBytes(v.size)}</span>
            <button
              type="button"
              className="button small"
              disabled={busy}
              aria-label={`Restore version from ${when}${on ? ` on ${on}` : ''}`}
              onClick={() => void restore(v)}
            >
              Restore
            </button>
          </li>
        );
      })}
    </ul>
  );
}
