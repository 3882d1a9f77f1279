// The pair's own folder at the target root, `.tandem/`: its journal, temp files and version store,
// kept on the target's filesystem so that renames never cross one. It must be a real folder (never
// a link: a `.tandem` pointing into the source once let a sync delete source files), and so must
// each folder inside it. Names inside are short and generated, so no name nears 255 bytes.
import { STATE_DIR } from '../scan/walk.js';
import { readAll, TargetPathError, writeAll, type TargetFs } from './targetFs.js';

export { STATE_DIR };
export const TMP_DIR = `${STATE_DIR}/tmp`;
export const JOURNAL_DIR = `${STATE_DIR}/journal`;
export const VERSIONS_DIR = `${STATE_DIR}/versions`;

/** The state folder (or a folder in it) is not a real folder: the pair is refused, nothing written. */
export class StateFolderError extends Error {}

function kindOf(type: string): string {
  return type === 'symlink' ? 'a symlink' : type === 'file' ? 'a file' : 'a special file';
}

/**
 * Checks that `rel` (inside the state folder) is a real folder, making it when `create` is set.
 * Returns whether it exists. A link or anything else in its place is refused, never followed.
 */
export function ensureStateDir(t: TargetFs, rel: string, create: boolean): boolean {
  let st;
  try {
    st = t.lstat(rel);
  } catch (e) {
    if (e instanceof TargetPathError) throw refusal(t, STATE_DIR, 'symlink');
    throw e;
  }
  if (st && st.type !== 'dir') throw refusal(t, rel, st.type);
  if (st) return true;
  if (!create) return false;
  if (rel.includes('/')) ensureStateDir(t, rel.slice(0, rel.lastIndexOf('/')), true);
  t.mkdir(rel, 0o700);
  return true;
}

function refusal(t: TargetFs, rel: string, type: string): StateFolderError {
  return new StateFolderError(
    `${t.root}/${rel} is ${kindOf(type)}, not a folder; Tandem keeps its journal, temp files and versions there and never writes through a link: move it away, then run again`,
  );
}

/** Short generated names for temp and journal files, unique within this process. */
export class StateNames {
  private seq = 0;
  private readonly made = new Set<string>();

  constructor(
    private readonly t: TargetFs,
    private readonly tag = String(process.pid),
  ) {}

  private inDir(dir: string, suffix: string): string {
    if (!this.made.has(dir)) {
      ensureStateDir(this.t, dir, true);
      this.made.add(dir);
    }
    return `${dir}/${this.tag}-${++this.seq}${suffix}`;
  }

  temp(): string {
    return this.inDir(TMP_DIR, '');
  }

  journal(): string {
    return this.inDir(JOURNAL_DIR, '.jnl');
  }
}

/** Removes an entry and everything below it, through the door (never following a link). */
export function removeTree(t: TargetFs, rel: string): void {
  const st = t.lstat(rel);
  if (!st) return;
  if (st.type !== 'dir') {
    t.unlink(rel);
    return;
  }
  for (const n of t.readdir(rel)) removeTree(t, `${rel}/${n}`);
  t.rmdir(rel);
}

/** Empties the temp folder: whatever is there was left by an interrupted run. */
export function clearTemp(t: TargetFs): void {
  if (!ensureStateDir(t, TMP_DIR, false)) return;
  for (const n of t.readdir(TMP_DIR)) removeTree(t, `${TMP_DIR}/${n}`);
}

/** A whole (small) file read through the door. */
export function readTargetFile(t: TargetFs, rel: string): Buffer {
  const f = t.openRead(rel);
  try {
    const size = f.stat().size;
    const buf = Buffer.allocUnsafe(size);
    const n = readAll(f, buf, size, 0);
    return buf.subarray(0, n);
  } finally {
    f.close();
  }
}

/** Writes a small file in the state folder atomically: a temp name, then a rename. */
export function writeStateFile(t: TargetFs, rel: string, data: string | Buffer): void {
  const tmp = `${rel}.${process.pid}.tmp`;
  if (t.lstat(tmp)) t.unlink(tmp);
  const f = t.create(tmp, 0o600);
  try {
    writeAll(f, typeof data === 'string' ? Buffer.from(data) : data, 0);
    f.sync();
  } finally {
    f.close();
  }
  t.rename(tmp, rel);
}
