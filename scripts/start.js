#!/usr/bin/env node
// `npm start`: the desktop app in Electron. Where Electron's binary cannot be had (it downloads on
// first launch, so an offline machine has none), say so in one sentence and start the headless
// daemon instead, with the same UI in an installed Chromium's app window, or its link printed.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = (p) => fs.existsSync(path.join(root, 'dist', p));

if (
  !built('renderer/index.html') ||
  !built('electron/daemon/serve.js') ||
  !built('electron/main/main.js')
) {
  console.error('tandem: building first (npm run build)…');
  const b = spawnSync(process.execPath, [path.join(root, 'scripts/build.js')], {
    stdio: 'inherit',
    cwd: root,
  });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

/** The Electron binary, downloading it if this machine can; null with the reason when it cannot. */
function electronBinary() {
  if (process.env.TANDEM_NO_ELECTRON === '1')
    return { path: null, why: 'TANDEM_NO_ELECTRON=1 is set' };
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(require('electron'))"], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 5 * 60_000,
  });
  if (r.status === 0 && r.stdout && fs.existsSync(r.stdout)) return { path: r.stdout, why: null };
  const why = /fetch failed|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|getaddrinfo/.test(
    r.stderr ?? '',
  )
    ? 'its binary downloads on first launch and this machine cannot reach the download server'
    : 'its binary is not installed and could not be downloaded';
  return { path: null, why };
}

/**
 * better-sqlite3 is compiled for this Node; Electron needs a copy built for its own ABI. It is
 * built once per Electron version into node_modules/.cache and handed to the engine through
 * TANDEM_SQLITE_BINDING, so the CLI and the tests keep the Node build.
 */
function electronSqliteBinding() {
  const version = JSON.parse(
    fs.readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8'),
  ).version;
  const dir = path.join(root, 'node_modules/.cache/tandem-electron', version, 'better-sqlite3');
  const binding = path.join(dir, 'build/Release/better_sqlite3.node');
  if (fs.existsSync(binding)) return binding;
  console.error(`tandem: building better-sqlite3 for Electron ${version} (once, about a minute)…`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(path.join(root, 'node_modules/better-sqlite3'), dir, { recursive: true });
  fs.rmSync(path.join(dir, 'build'), { recursive: true, force: true });
  const gyp = process.env.npm_execpath
    ? path.join(
        path.dirname(process.env.npm_execpath),
        '..',
        'node_modules/node-gyp/bin/node-gyp.js',
      )
    : null;
  const args = [
    'rebuild',
    '--release',
    `--target=${version}`,
    `--arch=${process.arch}`,
    '--dist-url=https://electronjs.org/headers',
  ];
  const r =
    gyp && fs.existsSync(gyp)
      ? spawnSync(process.execPath, [gyp, ...args], { cwd: dir, stdio: 'inherit' })
      : spawnSync('npx', ['--yes', 'node-gyp', ...args], { cwd: dir, stdio: 'inherit' });
  if (r.status !== 0 || !fs.existsSync(binding)) {
    console.error(
      'tandem: could not build better-sqlite3 for Electron; the desktop app cannot open its index.',
    );
    return null;
  }
  return binding;
}

function findChromium() {
  if (process.env.CHROME_PATH && fs.existsSync(process.env.CHROME_PATH))
    return process.env.CHROME_PATH;
  const names =
    process.platform === 'darwin'
      ? [
          '/Applications/Chromium.app/Contents/MacOS/Chromium',
          '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
        ]
      : ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge'];
  for (const n of names) {
    if (path.isAbsolute(n)) {
      if (fs.existsSync(n)) return n;
      continue;
    }
    for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
      const p = path.join(dir, n);
      if (dir && fs.existsSync(p)) return p;
    }
  }
  return null;
}

function hasDisplay() {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

function openInChromium(url, home) {
  const exe = hasDisplay() ? findChromium() : null;
  if (!exe) {
    console.log(`Open Tandem in your browser: ${url}`);
    return;
  }
  const args = [
    `--app=${url}`,
    `--user-data-dir=${path.join(home, 'ui-browser-profile')}`,
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    // Chromium refuses to run as root without this; a desktop user is never root.
    ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
  ];
  const child = spawn(exe, args, { stdio: 'ignore', detached: true });
  child.on('error', () => console.log(`Open Tandem in your browser: ${url}`));
  child.unref();
  console.log(`Tandem's UI is open in a Chromium window (${url}).`);
}

async function fallBackToDaemon(why) {
  console.log(
    `Electron cannot start here (${why}), so Tandem runs as a local daemon with the same UI in your browser.`,
  );
  const { tandemHome } = await import(
    new URL('../dist/electron/engine/pair/pair.js', import.meta.url).href
  );
  const { serve, DEFAULT_PORT, AlreadyServingError } = await import(
    new URL('../dist/electron/daemon/serve.js', import.meta.url).href
  );
  const home = tandemHome();
  const stop = new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  const run = (port) =>
    serve({
      port,
      home,
      stop,
      log: (s) => console.error(s),
      onReady: (url) => {
        openInChromium(url, home);
        console.log('Tandem keeps syncing while this runs; Ctrl-C stops it.');
      },
    });
  try {
    await run(Number(process.env.TANDEM_PORT ?? DEFAULT_PORT));
  } catch (e) {
    if (e instanceof AlreadyServingError) {
      console.log(`Tandem is already running: ${e.message}.`);
      if (e.url) openInChromium(e.url, home);
      return;
    }
    if (!/in use/.test(e.message)) throw e;
    await run(0);
  }
}

const electron = electronBinary();
if (electron.path) {
  const binding = electronSqliteBinding();
  const env = { ...process.env, ...(binding ? { TANDEM_SQLITE_BINDING: binding } : {}) };
  const child = spawn(electron.path, [root, ...process.argv.slice(2)], { stdio: 'inherit', env });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  fallBackToDaemon(electron.why).catch((e) => {
    console.error(`tandem: ${e.message}`);
    process.exit(2);
  });
}
