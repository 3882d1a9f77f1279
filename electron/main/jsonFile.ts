// Small JSON files for the shell's own state (window placement, desktop settings), written
// atomically so a crash mid-write leaves the old file rather than a torn one.
import fs from 'node:fs/promises';
import path from 'node:path';

/** The parsed file, or null when it is missing or not JSON (a fresh start, not an error). */
export async function readJsonFile(file: string): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
  } catch {
    return null;
  }
}

/** Writes to a temp file beside the target and renames it into place. */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    await fs.writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new Error(`saving ${path.basename(file)}`, { cause: e });
  }
}
