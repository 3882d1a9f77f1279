// The preload against a stand-in for Electron's renderer modules: what it exposes, and that the
// page never sees an IpcRendererEvent.
import { describe, expect, it, vi } from 'vitest';
import { SYNC_API_METHODS } from '../shared/syncApi.js';

const exposed = new Map<string, Record<string, unknown>>();
const listeners = new Map<string, Set<(...a: unknown[]) => void>>();
const invoke = vi.fn(async (...args: unknown[]) => args);
vi.mock('electron', () => ({
  contextBridge: {
    exposeInMainWorld: (key: string, api: Record<string, unknown>) => exposed.set(key, api),
  },
  ipcRenderer: {
    invoke,
    on: (c: string, l: (...a: unknown[]) => void) => {
      if (!listeners.has(c)) listeners.set(c, new Set());
      listeners.get(c)!.add(l);
    },
    removeListener: (c: string, l: (...a: unknown[]) => void) => listeners.get(c)?.delete(l),
  },
  webUtils: {
    getPathForFile: (f: { path?: string }) => {
      if (!f.path) throw new TypeError('not a File');
      return f.path;
    },
  },
}));
await import('./preload.js');

const tandem = exposed.get('tandem')!;
const desktop = exposed.get('tandemDesktop')!;

describe('preload', () => {
  it('exposes exactly window.tandem and window.tandemDesktop', () => {
    expect([...exposed.keys()]).toEqual(['tandem', 'tandemDesktop']);
    expect(Object.keys(tandem).sort()).toEqual([...SYNC_API_METHODS, 'onEvent'].sort());
    expect(Object.keys(desktop).sort()).toEqual([
      'getDesktopSettings',
      'onNavigate',
      'openLog',
      'pathForFile',
      'pickFolder',
      'setDesktopSettings',
    ]);
  });

  it('invokes one channel per method with the arguments as given', async () => {
    await (tandem.listHistory as (...a: unknown[]) => Promise<unknown>)('p1', 0, 10);
    expect(invoke).toHaveBeenLastCalledWith('tandem:listHistory', 'p1', 0, 10);
    await (desktop.pickFolder as (t: string) => Promise<unknown>)('Source');
    expect(invoke).toHaveBeenLastCalledWith('tandem:pickFolder', 'Source');
    await (desktop.openLog as () => Promise<unknown>)();
    expect(invoke).toHaveBeenLastCalledWith('tandem:openLog');
  });

  it('hands listeners the event only, and unsubscribes', () => {
    const got: unknown[] = [];
    const off = (tandem.onEvent as (l: (e: unknown) => void) => () => void)((e) => got.push(e));
    const [wrapped] = listeners.get('tandem:event')!;
    wrapped!({ sender: 'secret' }, { type: 'error', message: 'x' });
    expect(got).toEqual([{ type: 'error', message: 'x' }]);
    off();
    expect(listeners.get('tandem:event')!.size).toBe(0);
  });

  it('keeps telling other listeners when one throws', () => {
    const got: unknown[] = [];
    const orig = console.error;
    console.error = () => {};
    const onNavigate = desktop.onNavigate as (l: (v: string) => void) => () => void;
    const offA = onNavigate(() => {
      throw new Error('boom');
    });
    const offB = onNavigate((v) => got.push(v));
    for (const l of listeners.get('tandem:navigate')!) l({}, 'settings');
    console.error = orig;
    expect(got).toEqual(['settings']);
    offA();
    offB();
  });

  it('gives a dropped file’s path, or nothing for anything else', () => {
    const pathForFile = desktop.pathForFile as (f: object) => string;
    expect(pathForFile({ path: '/home/u/Photos' })).toBe('/home/u/Photos');
    expect(pathForFile({})).toBe('');
  });
});
