#!/usr/bin/env node
// `npm run build`: the engine, CLI, daemon and Electron main (tsc), the UI (Vite), and the
// preload script. A sandboxed preload cannot import local modules, so it is bundled into one
// CommonJS file with esbuild (which Vite already brings).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const step = (what, cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    console.error(`build failed at: ${what}`);
    process.exit(r.status ?? 1);
  }
};

const only = process.argv[2];
// The folder lister addon (native/lister, C, N-API): optional. Where it cannot be built (no C
// compiler, Windows) the engine lists with readdirSync + lstatSync, the same listing more slowly,
// so a failed build warns and goes on; TANDEM_REQUIRE_NATIVE=1 (CI) makes it an error.
if (!only || only === 'native') {
  const dir = `${root}/native/lister`;
  const addon = `${dir}/build/Release/tandem_lister.node`;
  const builtAt = existsSync(addon) ? statSync(addon).mtimeMs : -1;
  const stale = ['lister.c', 'binding.gyp'].some((f) => statSync(`${dir}/${f}`).mtimeMs > builtAt);
  if (process.platform !== 'win32' && stale) {
    // npm runs this script with its own node-gyp named in the environment; else the project's.
    const gyp = process.env.npm_config_node_gyp;
    const r = spawnSync(
      gyp ? process.execPath : 'npx',
      [...(gyp ? [gyp] : ['node-gyp']), 'rebuild', '--loglevel=error'],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
    if (r.status !== 0) {
      const why = (r.stderr || r.error?.message || '').trim().split('\n').slice(-3).join(' | ');
      if (process.env.TANDEM_REQUIRE_NATIVE === '1') {
        console.error(`build failed at: the folder lister addon (native/lister): ${why}`);
        process.exit(r.status ?? 1);
      }
      console.warn(
        `tandem build: the folder lister addon was not built (${why}); folders are listed without it, more slowly`,
      );
    }
  }
}
if (!only || only === 'tsc')
  step('TypeScript (engine, CLI, daemon, Electron main)', 'npx', ['tsc', '-b']);
if (!only || only === 'preload') {
  if (existsSync(`${root}/electron/preload/preload.ts`))
    step('preload bundle', 'npx', [
      'esbuild',
      'electron/preload/preload.ts',
      '--bundle',
      '--platform=node',
      '--format=cjs',
      '--external:electron',
      '--outfile=dist/electron/preload/preload.cjs',
      '--log-level=warning',
    ]);
}
if (!only || only === 'renderer')
  step('UI (Vite)', 'npx', [
    'vite',
    'build',
    '--config',
    'renderer/vite.config.ts',
    '--logLevel',
    'warn',
  ]);
