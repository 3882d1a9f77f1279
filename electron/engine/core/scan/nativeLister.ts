// The folder lister addon (native/lister): one call lists a folder and lstats each child, where
// Node takes one lstatSync per child (about 5 us each here, half of it building a Stats object
// with four Dates; the syscall alone about 2.4 us). FolderLister uses it where it loads and falls
// back to readdirSync + lstatSync where it does not (Windows, a machine without a compiler, or
// TANDEM_NATIVE_LISTER=0): the two give the same listing, names, order and numbers
// (nativeLister.test.ts lists random trees both ways).
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireCjs } from '../runtime/requireCjs.js';
import { decodeName, encodeName } from '../runtime/byteNames.js';

interface Addon {
  list(dir: Buffer): [names: Buffer, stats: Float64Array, flags: number, newest: number];
  /** Linux only */
  syncfs?: (path: Buffer) => void;
  FIELDS: number;
  /** what list() returns (lister.c's API): a build from before it is not read */
  API?: number;
}

/** lister.c's API this engine reads. */
const API = 2;

/** Where the addon's build puts it, from the repository (or app) root. */
export const ADDON_PATH = 'native/lister/build/Release/tandem_lister.node';

/** One folder's children as the addon lists them, sorted bytewise as readdirSync sorts them. */
export interface NativeListing {
  /** each child's name as its bytes and a NUL, in listing order (splitNames makes them strings) */
  bytes: Buffer;
  /** FIELDS numbers per child (see lister.c): mode, nlink, size, blocks, mtime s/ns, ctime s/ns, ino, uid, gid, dev */
  stats: Float64Array;
  /** what the folder holds that must be looked at child by child (LISTED) */
  flags: number;
  /** the latest child mtime in ms, as mtimeMs is computed (-Infinity for an empty folder) */
  newest: number;
}

/** lister.c's flags: what a folder holds. */
export const LISTED = {
  nonAscii: 1,
  caseTwins: 2,
  unstatted: 4,
  special: 8,
  symlink: 16,
  linked: 32,
} as const;

export const FIELD = {
  mode: 0,
  nlink: 1,
  size: 2,
  blocks: 3,
  mtimeSec: 4,
  mtimeNsec: 5,
  ctimeSec: 6,
  ctimeNsec: 7,
  ino: 8,
  uid: 9,
  gid: 10,
  dev: 11,
} as const;
export const FIELDS = 12;

let addon: Addon | null | undefined;
let why = '';

function findAddon(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 8; up++) {
    const p = path.join(dir, ADDON_PATH);
    if (existsSync(p)) return p;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function load(): Addon | null {
  if (process.env.TANDEM_NATIVE_LISTER === '0') {
    why = 'turned off (TANDEM_NATIVE_LISTER=0)';
    return null;
  }
  const file = findAddon();
  if (!file) {
    why = `not built (${ADDON_PATH}: npm run build makes it where a C compiler is installed)`;
    return null;
  }
  try {
    const a = requireCjs(file) as Addon;
    if (a.FIELDS !== FIELDS || a.API !== API) {
      why = `${file} is an older build (API ${a.API ?? 1}, ${a.FIELDS} numbers per child; this engine reads API ${API}, ${FIELDS}): run npm run build`;
      return null;
    }
    return a;
  } catch (e) {
    why = `${file} did not load: ${(e as Error).message.split('\n')[0]}`;
    return null;
  }
}

/** The addon, loaded on first use; null where it does not load (`why` says why). */
function loaded(): Addon | null {
  if (addon === undefined) addon = load();
  return addon;
}

/**
 * Lists with the addon (where it loads) or without it from now on: for the tests that list the
 * same tree both ways, and for TANDEM_NATIVE_LISTER=0's behaviour inside one process.
 */
export function useNativeLister(on: boolean): void {
  if (on) addon = load();
  else {
    addon = null;
    why = 'turned off for this process';
  }
}

/** Whether folders are listed by the addon, and if not, why (for the log). */
export function nativeListerStatus(): { native: boolean; reason: string } {
  return loaded() ? { native: true, reason: 'loaded' } : { native: false, reason: why };
}

/** The addon's list of one folder (its path as the engine's string), or null where it is not loaded. */
export function listNative(abs: Buffer): NativeListing | null {
  const a = loaded();
  if (!a) return null;
  const [bytes, stats, flags, newest] = a.list(abs);
  return { bytes, stats, flags, newest };
}

/**
 * syncfs(2) on the filesystem holding `abs`, where the addon has it (Linux): true once done,
 * false where it is not loaded (the caller runs `sync -f`). Throws with the errno's code.
 */
export function syncfsNative(abs: string): boolean {
  const sync = loaded()?.syncfs;
  if (!sync) return false;
  sync(encodeName(abs));
  return true;
}

/** NUL-ended names as the engine's strings (byteNames.ts): one decode where all are UTF-8. */
export function splitNames(b: Buffer): string[] {
  if (b.length === 0) return [];
  const s = b.toString('utf8', 0, b.length - 1);
  if (!s.includes('\ufffd')) return s.split('\0');
  const names: string[] = [];
  for (let at = 0; at < b.length;) {
    const end = b.indexOf(0, at);
    names.push(decodeName(b.subarray(at, end)));
    at = end + 1;
  }
  return names;
}

let codes: Map<number, string> | null = null;

/** An errno's name (ENOENT), as Node's fs errors carry it in `code`. */
export function errnoCode(errno: number): string {
  if (!codes) {
    codes = new Map();
    for (const [name, n] of Object.entries(constants.errno)) if (!codes.has(n)) codes.set(n, name);
  }
  return codes.get(errno) ?? `errno ${errno}`;
}
