// The desktop shell in Electron itself: the window is isolated and sandboxed, window.tandem is
// exactly the SyncApi, IPC answers only the app, closing the window leaves Tandem in the tray.
// Electron's binary downloads on first launch, so on a machine without it these skip and say why.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  _electron as electron,
  expect,
  test,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { SYNC_API_METHODS } from '../../electron/shared/syncApi.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The installed Electron binary, or null (node_modules/electron/path.txt names it once fetched). */
function electronBinary(): string | null {
  const pkg = path.join(root, 'node_modules', 'electron');
  const pathTxt = path.join(pkg, 'path.txt');
  if (!fs.existsSync(pathTxt)) return null;
  const exe = path.join(pkg, 'dist', fs.readFileSync(pathTxt, 'utf8').trim());
  return fs.existsSync(exe) ? exe : null;
}

/** better-sqlite3 built for Electron's ABI, as scripts/start.js builds it; null if not built. */
function sqliteBinding(): string | null {
  const version = (
    JSON.parse(
      fs.readFileSync(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8'),
    ) as { version: string }
  ).version;
  const file = path.join(
    root,
    'node_modules/.cache/tandem-electron',
    version,
    'better-sqlite3/build/Release/better_sqlite3.node',
  );
  return fs.existsSync(file) ? file : null;
}

const binary = electronBinary();
const binding = binary ? sqliteBinding() : null;
test.skip(
  binary === null,
  'Electron binary not installed (it downloads on first launch, which needs its download server) — Electron-only specs skipped',
);
test.skip(
  binary !== null && binding === null,
  'better-sqlite3 is not built for Electron yet; run `npm start` once (it builds it), then these specs',
);

// One app for the file: launching Electron takes seconds, and the checks only read its state.
test.describe.configure({ mode: 'serial' });

let tmp = '';
let app: ElectronApplication;
let page: Page;

const stringEnv = (): Record<string, string> =>
  Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );

test.beforeAll(async () => {
  for (const built of [
    'dist/electron/main/main.js',
    'dist/electron/preload/preload.cjs',
    'dist/renderer/index.html',
  ])
    expect(fs.existsSync(path.join(root, built)), `${built} is built (npm run build)`).toBe(true);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-electron-'));
  app = await electron.launch({
    executablePath: binary!,
    // Chromium will not start as root without --no-sandbox (CI runs as root); the page stays
    // sandboxed in Electron's sense either way: no Node, isolated context.
    args: [root, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    env: {
      ...stringEnv(),
      TANDEM_HOME: path.join(tmp, 'home'),
      TANDEM_USER_DATA: path.join(tmp, 'userData'),
      TANDEM_SQLITE_BINDING: binding!,
      TANDEM_E2E: '1',
    },
  });
  page = await app.firstWindow();
  await page.waitForFunction(() => 'tandem' in globalThis);
});

test.afterAll(async () => {
  await app?.close().catch(() => undefined); // already gone after the Quit test
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('the window is sandboxed and context-isolated', async () => {
  // Electron reports the OS sandbox of each renderer on macOS and Windows (undefined on Linux).
  const sandboxed = await app.evaluate(({ app: a }) =>
    a.getAppMetrics().flatMap((m) => (m.type === 'Tab' ? [m.sandboxed] : [])),
  );
  for (const s of sandboxed) if (s !== undefined) expect(s).toBe(true);
  const seen = await page.evaluate(() => {
    const g = globalThis as Record<string, unknown>;
    return {
      require: typeof g.require,
      process: typeof g.process,
      module: typeof g.module,
      Buffer: typeof g.Buffer,
      href: location.href,
    };
  });
  expect(seen).toEqual({
    require: 'undefined',
    process: 'undefined',
    module: 'undefined',
    Buffer: 'undefined',
    href: 'app://tandem/index.html',
  });
});

test('window.tandem is exactly the SyncApi plus onEvent, window.tandemDesktop the host', async () => {
  const keys = await page.evaluate(() => {
    const g = globalThis as Record<string, unknown>;
    return {
      tandem: Object.keys(g.tandem as object).sort(),
      desktop: Object.keys(g.tandemDesktop as object).sort(),
    };
  });
  expect(keys.tandem).toEqual([...SYNC_API_METHODS, 'onEvent'].sort());
  expect(keys.desktop).toEqual([
    'getDesktopSettings',
    'onNavigate',
    'pathForFile',
    'pickFolder',
    'setDesktopSettings',
  ]);
});

test('IPC reaches the service, and bad arguments come back as data', async () => {
  const about = await page.evaluate(() =>
    (globalThis as unknown as { tandem: { about(): Promise<unknown> } }).tandem.about(),
  );
  expect(about).toMatchObject({ ok: true, value: { home: path.join(tmp, 'home') } });
  const bad = await page.evaluate(() =>
    (
      globalThis as unknown as { tandem: { removePair(id: unknown): Promise<unknown> } }
    ).tandem.removePair(42),
  );
  expect(bad).toMatchObject({ ok: false, error: { code: 'invalid' } });
  const settings = await page.evaluate(() =>
    (
      globalThis as unknown as { tandemDesktop: { getDesktopSettings(): Promise<unknown> } }
    ).tandemDesktop.getDesktopSettings(),
  );
  expect(settings).toEqual({ openAtLogin: false });
});

test('the UI is served with its Content-Security-Policy and nothing outside it', async () => {
  const r = await page.evaluate(async () => {
    const index = await fetch('app://tandem/index.html');
    const outside = await fetch('app://tandem/%2e%2e/%2e%2e/package.json');
    return { csp: index.headers.get('content-security-policy'), outside: outside.status };
  });
  expect(r.csp).toContain("script-src 'self'");
  expect(r.outside).toBe(404);
});

test('the page cannot navigate away from the app', async () => {
  await page.evaluate(() => {
    (globalThis as Record<string, unknown>).__sameDocument = true;
    location.href = 'file:///etc/hosts';
  });
  // Had the navigation happened, the marker would be gone with the old document.
  await expect
    .poll(() => page.evaluate(() => (globalThis as Record<string, unknown>).__sameDocument))
    .toBe(true);
  expect(page.url()).toBe('app://tandem/index.html');
});

test('closing the window keeps Tandem running in the tray', async () => {
  const shell = () =>
    app.evaluate(() => {
      const s = (globalThis as Record<string, unknown>).__tandemShell as
        { trayAlive(): boolean; windowVisible(): boolean } | undefined;
      return s ? { tray: s.trayAlive(), visible: s.windowVisible() } : null;
    });
  await expect.poll(shell).toEqual({ tray: true, visible: true });
  await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows()[0]?.close());
  await expect.poll(shell).toEqual({ tray: true, visible: false });
  const windows = await app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
  expect(windows).toBe(1);
  const about = await page.evaluate(() =>
    (globalThis as unknown as { tandem: { about(): Promise<{ ok: boolean }> } }).tandem.about(),
  );
  expect(about.ok).toBe(true);
});

test('Quit stops the service and exits', async () => {
  const exited = new Promise<number | null>((resolve) =>
    app.process().once('exit', (code) => resolve(code)),
  );
  await app.evaluate(({ app: electronApp }) => electronApp.quit());
  expect(await exited).toBe(0);
});
