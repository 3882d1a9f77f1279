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
const { runCli } = await import(main.href);
process.exitCode = await runCli(process.argv.slice(2));
