// The window: sidebar of pairs, the selected pair (or the first-start explanation), dialogs,
// notices, the drop overlay and the connection banner.
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { DesktopHost, SyncClient } from './contract.js';
import { ALWAYS_OPEN, type ConnectionMonitor } from './client/connectionState.js';
import { AddPairDialog, type AddPairRequest } from './components/AddPairDialog.js';
import { ConnectionBanner } from './components/ConnectionBanner.js';
import { EmptyState } from './components/EmptyState.js';
import { Notices } from './components/Notices.js';
import { PairView, type PairTab } from './components/PairView.js';
import { AboutDialog } from './components/AboutDialog.js';
import { LogDialog } from './components/LogDialog.js';
import { ShortcutsDialog } from './components/ShortcutsDialog.js';
import { Sidebar } from './components/Sidebar.js';
import { useFolderDrop } from './components/useFolderDrop.js';
import { useShortcuts } from './components/useShortcuts.js';
import { AppContext, type AppServices } from './state/appContext.js';
import { SyncStore } from './state/syncStore.js';

interface AppProps {
  client: SyncClient;
  desktop?: DesktopHost | null;
  connection?: ConnectionMonitor;
  /** the pending list's viewport height; measured when omitted (tests inject it) */
  listHeight?: number;
}

const TAB_VIEWS: readonly string[] = ['pending', 'history', 'settings'];

export function App({ client, desktop = null, connection = ALWAYS_OPEN, listHeight }: AppProps) {
  const [services] = useState<AppServices>(() => ({
    client,
    desktop,
    store: new SyncStore(client, () => {
      const kind = connection.get().kind;
      return kind === 'lost' || kind === 'unauthorized';
    }),
  }));
  const { store } = services;
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [tab, setTab] = useState<PairTab>('pending');
  const [adding, setAdding] = useState<AddPairRequest | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const [aboutOpen, setAboutOpen] = useState(false);
  /** the log dialog, with why the desktop could not open the file (null: a browser, never tried) */
  const [logShown, setLogShown] = useState<{ problem: string | null } | null>(null);

  useEffect(() => store.start(), [store]);

  // After a dropped connection everything may have changed: fetch it all again.
  useEffect(() => {
    let last = connection.get().kind;
    return connection.subscribe(() => {
      const now = connection.get().kind;
      if (now === 'open' && last === 'lost') void store.load();
      last = now;
    });
  }, [connection, store]);

  useEffect(
    () =>
      desktop?.onNavigate((view) => {
        if (view === 'addPair') setAdding({});
        else if (view === 'about') setAboutOpen(true);
        else if (TAB_VIEWS.includes(view)) setTab(view as PairTab);
      }),
    [desktop],
  );

  const onPair = useCallback((request: AddPairRequest) => setAdding(request), []);
  const onRefused = useCallback((message: string) => store.report(message), [store]);
  const dragging = useFolderDrop({ client, desktop, onPair, onRefused });

  useShortcuts({
    '?': (e) => {
      e.preventDefault();
      setHelpOpen(true);
    },
  });

  // The desktop opens the file in the system's viewer; a browser cannot, so it shows the path and
  // the last lines instead (and so does the desktop when opening failed).
  const openLog = async () => {
    if (!desktop) return setLogShown({ problem: null });
    let problem: string | null;
    try {
      problem = await desktop.openLog();
    } catch (e) {
      problem = (e as Error).message;
    }
    if (problem !== null) setLogShown({ problem });
  };

  const selected = state.pairs.find((p) => p.id === selectedId) ?? state.pairs[0] ?? null;
  const addPair = () => setAdding({});

  return (
    <AppContext.Provider value={services}>
      <div className="app">
        <ConnectionBanner connection={connection} />
        <div className="layout">
          <Sidebar
            selectedId={selected?.id ?? null}
            onSelect={(id) => setSelectedId(id)}
            onAddPair={addPair}
            onAbout={() => setAboutOpen(true)}
            onOpenLog={() => void openLog()}
          />
          <main className="main">
            {!state.loaded ? (
              <p className="muted pad">Loading…</p>
            ) : selected ? (
              <PairView
                key={selected.id}
                pair={selected}
                tab={tab}
                onTab={setTab}
                onRemoved={() => setSelectedId(null)}
                listHeight={listHeight}
              />
            ) : (
              <EmptyState onAddPair={addPair} />
            )}
          </main>
        </div>
        <Notices />
        {dragging ? (
          <div className="drop-overlay">
            <p>Drop folders to pair them</p>
          </div>
        ) : null}
        {adding ? (
          <AddPairDialog
            request={adding}
            onClose={() => setAdding(null)}
            onCreated={(pair) => {
              store.putPair(pair);
              setSelectedId(pair.id);
              setTab('pending');
              setAdding(null);
            }}
          />
        ) : null}
        {helpOpen ? <ShortcutsDialog onClose={() => setHelpOpen(false)} /> : null}
        {aboutOpen ? <AboutDialog onClose={() => setAboutOpen(false)} /> : null}
        {logShown ? (
          <LogDialog problem={logShown.problem} onClose={() => setLogShown(null)} />
        ) : null}
      </div>
    </AppContext.Provider>
  );
}
