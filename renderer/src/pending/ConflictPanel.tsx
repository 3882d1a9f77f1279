// A two-way pair's conflicts, above its pending list: each path both sides changed, with A's and
// B's entry side by side (size, time, which chunks differ) and the three choices as buttons and
// keys (a: keep A's, b: keep B's, k: keep both, on a focused conflict). A choice names the
// conflict as shown (its rev): the service carries it out only while both sides still hold that.
import { useEffect, useState } from 'react';
import type { ConflictResolution, EntrySnapshot, PairConfig, PendingChange } from '../contract.js';
import { escapeName } from '../contract.js';
import { formatBytes, formatRelative, plural } from '../format.js';
import { PathText } from '../components/PathText.js';
import { useServices, useSyncState } from '../state/appContext.js';
import { ChunkMap } from './ChunkMap.js';
import { useNow } from '../components/useNow.js';

/** Conflicts fetched at once: more than a screenful is rare, and the list below has them all. */
const LIMIT = 50;

const KIND_TEXT: Record<NonNullable<PendingChange['twoWay']>['kind'], string> = {
  bothCreated: 'Created on both sides, differently',
  bothModified: 'Changed on both sides',
  deletedChanged: 'Deleted on one side, changed on the other',
  typeChanged: 'Replaced by another kind of entry on one side, changed on the other',
};

const CHOICES: { resolution: ConflictResolution; key: string; label: string }[] = [
  { resolution: 'keepA', key: 'a', label: "Keep A's" },
  { resolution: 'keepB', key: 'b', label: "Keep B's" },
  { resolution: 'keepBoth', key: 'k', label: 'Keep both' },
];

function sideText(e: EntrySnapshot | undefined, now: number): string {
  if (!e) return 'Deleted';
  const when = `changed ${formatRelative(e.mtimeMs, now)}`;
  if (e.type === 'file') return `${formatBytes(e.size)}, ${when}`;
  if (e.type === 'symlink') return `Link to ${escapeName(e.linkTarget ?? '')}, ${when}`;
  return e.type === 'dir' ? 'Folder' : 'Special file';
}

export function ConflictPanel({ pair }: { pair: PairConfig }) {
  const { client, store } = useServices();
  const version = useSyncState((s) => s.pendingVersion[pair.id] ?? 0);
  const [conflicts, setConflicts] = useState<PendingChange[]>([]);
  const [total, setTotal] = useState(0);
  const [busy, setBusy] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void client
      .listPending({ pairId: pair.id, conflictsOnly: true, sort: 'path', limit: LIMIT })
      .then((r) => {
        if (!live || !r.ok) return;
        setConflicts(r.value.items.filter((c) => c.twoWay));
        setTotal(r.value.total);
      });
    return () => {
      live = false;
    };
  }, [client, pair.id, version]);

  const now = useNow(30_000);
  if (conflicts.length === 0) return null;

  const resolve = async (c: PendingChange, resolution: ConflictResolution) => {
    setBusy(c.path);
    const done = await store.run(
      client.resolveConflict(pair.id, { path: c.path, rev: c.rev }, resolution),
    );
    setBusy(null);
    if (done === undefined) return;
    setConflicts((list) => list.filter((x) => x.path !== c.path));
    store.notify(
      `${escapeName(c.path)}: ${resolution === 'keepA' ? "A's kept" : resolution === 'keepB' ? "B's kept" : 'both kept'}`,
    );
    store.touchPending(pair.id);
  };

  return (
    <section className="conflict-panel" aria-label="Conflicts">
      <h2 className="conflict-title">
        {plural(total, 'conflict')} — both sides changed these since they last agreed. Nothing is
        lost: whatever is replaced is kept as a version on its side.
      </h2>
      <ul className="conflict-list">
        {conflicts.map((c) => (
          <li
            key={c.path}
            className="conflict-card"
            tabIndex={0}
            aria-label={`Conflict at ${escapeName(c.path)}`}
            onKeyDown={(e) => {
              const choice = CHOICES.find((x) => x.key === e.key);
              if (!choice || e.ctrlKey || e.metaKey || e.altKey) return;
              // Taken here: the list's own keys (a approves, k moves up) must not fire too.
              e.preventDefault();
              e.stopPropagation();
              if (busy === null) void resolve(c, choice.resolution);
            }}
          >
            <div className="conflict-head">
              <PathText path={c.path} />
              <span className="badge tone-conflict">{KIND_TEXT[c.twoWay!.kind]}</span>
              {c.twoWay!.movedTo !== undefined ? (
                <span className="muted">
                  renamed to <PathText path={c.twoWay!.movedTo} className="" /> on the deleting side
                </span>
              ) : null}
              {c.twoWay!.inside > 0 ? (
                <span className="muted">{plural(c.twoWay!.inside, 'more change')} below wait</span>
              ) : null}
            </div>
            <div className="conflict-sides">
              <div className="conflict-side" data-side="a">
                <span className="side-name">A</span> {sideText(c.source, now)}
              </div>
              <div className="conflict-side" data-side="b">
                <span className="side-name">B</span> {sideText(c.target, now)}
              </div>
              {c.chunks ? (
                <div className="conflict-chunks">
                  {c.chunks.changed.length.toLocaleString()} of {c.chunks.total.toLocaleString()}{' '}
                  {c.chunks.total === 1 ? 'chunk differs' : 'chunks differ'}
                  <ChunkMap total={c.chunks.total} changed={c.chunks.changed} />
                </div>
              ) : null}
            </div>
            <div className="conflict-buttons">
              {CHOICES.map((x) => (
                <button
                  key={x.resolution}
                  type="button"
                  className="button"
                  disabled={busy !== null}
                  aria-keyshortcuts={x.key}
                  onClick={() => void resolve(c, x.resolution)}
                >
                  {x.label} <kbd>{x.key}</kbd>
                </button>
              ))}
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
