#!/usr/bin/env node
// `npm start`: the engine and its command line are what exists so far; show how to use them.
import { spawnSync } from 'node:child_process';

const r = spawnSync(
  process.execPath,
  [new URL('../bin/tandem.js', import.meta.url).pathname, '--help'],
  { stdio: 'inherit' },
);
console.log(`
Tandem's desktop window and web UI are not built yet; the engine and the live service run from
the command line:
  npx tandem diff ~/Documents /media/backup/Documents          # what a sync would change
  npx tandem sync ~/Documents /media/backup/Documents          # show the plan, ask, apply
  npx tandem watch ~/Documents /media/backup/Documents --auto  # keep them in sync as files change`);
process.exit(r.status ?? 0);
