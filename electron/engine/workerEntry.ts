// Where a worker's script is: the compiled .js beside this file. Under Vitest the sources run as
// .ts and Node cannot start a .ts worker, so the compiled copy in dist/ is used (`npm test`
// builds first).
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export function workerEntry(name: string): { url: URL; execArgv: string[] } {
  if (!import.meta.url.endsWith('.ts'))
    return { url: new URL(`./${name}.js`, import.meta.url), execArgv: [] };
  const url = new URL(`../../dist/electron/engine/${name}.js`, import.meta.url);
  if (!fs.existsSync(fileURLToPath(url)))
    throw new Error(`${name} is not built; run npm run build first`);
  return { url, execArgv: [] };
}
