#!/usr/bin/env node
// `npm run build`: the engine, CLI, daemon and Electron main (tsc), the UI (Vite), and the
// preload script. A sandboxed preload cannot import local modules, so it is bundled into one
// CommonJS file with esbuild (which Vite already brings).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
