#!/usr/bin/env node
// Entry point of the `tandem` command: runs the compiled CLI (built by `npm install`/`npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = new URL('../dist/electron/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(main))) {
  process.stderr.write(
    'tandem: the CLI is not built yet; run `npm install` (or `npm run build`) in the Tandem checkout first\n',
  );
  process.exit(2);
}
// The commands that plan a local pair list its target in a worker: started now, its start
// overlaps the loading of the CLI (electron/engine/core/scan/listerWorker.ts).
const args = process.argv.slice(2);
if (args.includes('sync') || args.includes('diff')) {
  const lister = new URL('../dist/electron/engine/core/scan/listerWorker.js', import.meta.url);
  (await import(lister.href)).startLister();
}
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
