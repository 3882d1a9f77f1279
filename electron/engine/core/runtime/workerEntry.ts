// Where a worker's script is: the compiled .js beside the module that starts it. Under Vitest the
// sources run as .ts and Node cannot start a .ts worker, so the compiled copy in dist/ is used
// (`npm test` builds first).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The repository root, seen from this file (electron/engine/core/runtime/ or its dist copy). */
const SOURCE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** `near` is the starting module's import.meta.url; `name` is a worker script in its folder. */
export function workerEntry(near: string, name: string): { url: URL; execArgv: string[] } {
  if (!near.endsWith('.ts')) return { url: new URL(`./${name}.js`, near), execArgv: [] };
  const rel = path.relative(SOURCE_ROOT, path.dirname(fileURLToPath(near)));
  const file = path.join(SOURCE_ROOT, 'dist', rel, `${name}.js`);
  if (!fs.existsSync(file)) throw new Error(`${name} is not built; run npm run build first`);
  return { url: pathToFileURL(file), execArgv: [] };
}
