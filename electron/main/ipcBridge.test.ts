// The bridge against a stand-in for Electron's ipcMain: who is answered, what is checked, what is
// forwarded. (Electron itself is exercised by e2e/electron where its binary exists.)
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createRpcClient, type RpcCall } from '../shared/rpc.js';
import { SYNC_API_METHODS } from '../shared/syncApi.js';

const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
vi.mock('electron', () => ({
  // eslint-disable-next-line no-restricted-syntax -- this stands in for Electron's ipcMain
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => {
      if (handlers.has(channel)) throw new Error(`second handler for ${channel}`);
      handlers.set(channel, fn);
    },
    removeHandler: (channel: string) => handlers.delete(channel),
  },
  dialog: {
    showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/home/u/Photos'] })),
  },
  shell: {
    // Electron answers '' once opened, else the reason.
    openPath: vi.fn(async (p: string) => (p.endsWith('missing.log') ? 'no such file' : '')),
  },
}));

const { installIpcBridge } = await import('./ipcBridge.js');

function fakeWindow(url = 'app://tandem/index.html') {
  const mainFrame = { url, parent: null };
  const sent: [string, unknown][] = [];
  const webContents = {
    id: 7,
    mainFrame,
    isDestroyed: () => false,
    getURL: () => mainFrame.url,
    isLoading: () => false,
    send: (channel: string, payload: unknown) => sent.push([channel, payload]),
  };
  return { win: { webContents, isDestroyed: () => false }, mainFrame, sent };
}

function fakeService() {
  const calls: RpcCall[] = [];
  const rpc = createRpcClient((c) => {
    calls.push(c);
    queueMicrotask(() =>
      rpc.receive({
        t: 'reply',
        id: c.id,
        result: { ok: true, value: { method: c.method, args: c.args } },
      }),
    );
  });
  return { rpc, calls };
}

const desktop = {
  get: vi.fn(async () => ({ openAtLogin: false })),
  set: vi.fn(async (p: { openAtLogin?: boolean }) => ({ openAtLogin: p.openAtLogin ?? false })),
};

function setup(url?: string) {
  handlers.clear();
  const w = fakeWindow(url);
  const svc = fakeService();
  const onSettings = vi.fn();
  const bridge = installIpcBridge({
    window: () => w.win as never,
    client: Promise.resolve(svc.rpc.client),
    desktop: desktop as never,
    onSettings,
    logFile: '/state/logs/tandem.log',
  });
  const fromApp = { sender: w.win.webContents, senderFrame: w.mainFrame };
  const call = (channel: string, event: unknown, ...args: unknown[]) =>
    handlers.get(channel)!(event, ...args);
  return { ...w, ...svc, bridge, fromApp, call, onSettings };
}

describe('ipcBridge', () => {
  beforeEach(() => vi.clearAllMocks());

  it('registers one channel per SyncApi method and the desktop requests', () => {
    setup();
    expect([...handlers.keys()].sort()).toEqual(
      [
        ...SYNC_API_METHODS.map((m) => `tandem:${m}`),
        'tandem:pickFolder',
        'tandem:openLog',
        'tandem:getDesktopSettings',
        'tandem:setDesktopSettings',
      ].sort(),
    );
  });

  it('forwards a checked call from the app to the service', async () => {
    const t = setup();
    expect(await t.call('tandem:listHistory', t.fromApp, 'p1', 0, 50)).toEqual({
      ok: true,
      value: { method: 'listHistory', args: ['p1', 0, 50] },
    });
  });

  it('refuses bad arguments as data, without reaching the service', async () => {
    const t = setup();
    const r = await t.call('tandem:removePair', t.fromApp, 42);
    expect(r).toMatchObject({ ok: false, error: { code: 'invalid' } });
    expect(await t.call('tandem:status', t.fromApp, 'extra')).toMatchObject({ ok: false });
    expect(t.calls).toEqual([]);
  });

  it.each([
    ['another webContents', (t: ReturnType<typeof setup>) => ({ ...t.fromApp, sender: { id: 8 } })],
    [
      'an iframe',
      (t: ReturnType<typeof setup>) => ({
        ...t.fromApp,
        senderFrame: { url: 'app://tandem/index.html', parent: t.mainFrame },
      }),
    ],
    [
      'a frame that has gone',
      (t: ReturnType<typeof setup>) => ({ ...t.fromApp, senderFrame: null }),
    ],
    [
      'a page that is not the app',
      (t: ReturnType<typeof setup>) => ({
        ...t.fromApp,
        senderFrame: { url: 'https://example.com/', parent: null },
      }),
    ],
  ])('refuses %s', async (_name, event) => {
    const t = setup();
    const r = await t.call('tandem:about', event(t));
    expect(r).toMatchObject({ ok: false, error: { code: 'refused' } });
    await expect(t.call('tandem:pickFolder', event(t), 'x')).rejects.toThrow(/\w/);
    expect(t.calls).toEqual([]);
  });

  it('tells the shell when the UI changes the service settings', async () => {
    const t = setup();
    await t.call('tandem:updateSettings', t.fromApp, { pausedAll: true });
    expect(t.onSettings).toHaveBeenCalledOnce();
  });

  it('pushes service events to the window while it shows the app', async () => {
    const t = setup();
    await Promise.resolve();
    t.rpc.receive({ t: 'event', event: { type: 'error', message: 'x' } });
    expect(t.sent).toEqual([['tandem:event', { type: 'error', message: 'x' }]]);
    t.mainFrame.url = 'https://example.com/';
    t.rpc.receive({ t: 'event', event: { type: 'error', message: 'y' } });
    expect(t.sent).toHaveLength(1);
  });

  it('opens the log, or says why it could not', async () => {
    const t = setup();
    expect(await t.call('tandem:openLog', t.fromApp)).toBeNull();
    const { openLogFile } = await import('./ipcBridge.js');
    expect(await openLogFile('/state/logs/missing.log')).toBe(
      'Tandem could not open its log /state/logs/missing.log: no such file',
    );
  });

  it('answers the desktop requests, checking their arguments', async () => {
    const t = setup();
    expect(await t.call('tandem:pickFolder', t.fromApp, 'Choose the source')).toBe(
      '/home/u/Photos',
    );
    expect(await t.call('tandem:setDesktopSettings', t.fromApp, { openAtLogin: true })).toEqual({
      openAtLogin: true,
    });
    await expect(t.call('tandem:setDesktopSettings', t.fromApp, { evil: 1 })).rejects.toThrow(
      /not a desktop setting/,
    );
    expect(desktop.set).toHaveBeenCalledOnce();
  });

  it('says so when the service never started', async () => {
    handlers.clear();
    const w = fakeWindow();
    const failed = Promise.reject(new Error('the index is damaged'));
    failed.catch(() => undefined);
    installIpcBridge({
      window: () => w.win as never,
      client: failed,
      desktop: desktop as never,
      onSettings: () => {},
      logFile: '/state/logs/missing.log',
    });
    const r = await handlers.get('tandem:about')!({
      sender: w.win.webContents,
      senderFrame: w.mainFrame,
    });
    expect(r).toEqual({
      ok: false,
      error: { code: 'failed', message: 'The sync service is not running: the index is damaged' },
    });
  });

  it('removes its handlers when disposed', () => {
    const t = setup();
    t.bridge.dispose();
    expect(handlers.size).toBe(0);
  });
});
