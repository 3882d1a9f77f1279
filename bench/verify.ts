// After every measured run: does the target equal the source? Compares the entry tree, types,
// sizes, bytes and symlink targets (hard failures) and mode/mtime (reported as warnings).
import {
  closeSync,
  lstatSync,
  openSync,
  readdirSync,
  readlinkSync,
  readSync,
  type Stats,
} from 'node:fs';
import { join } from 'node:path';

/** Tandem's own state folder at the target root: never compared. */
export const TARGET_STATE_DIR = '.tandem';

export interface VerifyResult {
  /** Content or structure differences: the target is not a copy of the source. */
  errors: string[];
  /** Metadata differences (mode bits, file mtime) that do not change the content. */
  warnings: string[];
}

const BUF = 4 * 1024 * 1024;
const bufA = Buffer.alloc(BUF);
const bufB = Buffer.alloc(BUF);

function sameBytes(a: string, b: string, size: number): boolean {
  const fa = openSync(a, 'r');
  const fb = openSync(b, 'r');
  try {
    for (let pos = 0; pos < size;) {
      const want = Math.min(BUF, size - pos);
      const na = readSync(fa, bufA, 0, want, pos);
      const nb = readSync(fb, bufB, 0, want, pos);
      if (na !== want || nb !== want || !bufA.subarray(0, na).equals(bufB.subarray(0, nb)))
        return false;
      pos += want;
    }
    return true;
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
}

function kind(st: Stats): string {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'folder';
  if (st.isSymbolicLink()) return 'symlink';
  return 'other';
}

const MAX_REPORTED = 20;

/** Compares `target` against `source`, ignoring `.tandem/` at the target root. */
export function verifyTree(source: string, target: string): VerifyResult {
  const res: VerifyResult = { errors: [], warnings: [] };
  const err = (m: string): void => {
    if (res.errors.length < MAX_REPORTED) res.errors.push(m);
  };
  const warn = (m: string): void => {
    if (res.warnings.length < MAX_REPORTED) res.warnings.push(m);
  };
  const walk = (rel: string): void => {
    const s = join(source, rel);
    const t = join(target, rel);
    const sNames = readdirSync(s).sort();
    const tNames = readdirSync(t)
      .filter((n) => !(rel === '' && n === TARGET_STATE_DIR))
      .sort();
    const tSet = new Set(tNames);
    const sSet = new Set(sNames);
    for (const n of tNames) if (!sSet.has(n)) err(`only in target: ${join(rel, n)}`);
    for (const name of sNames) {
      const r = join(rel, name);
      if (!tSet.has(name)) {
        err(`missing in target: ${r}`);
        continue;
      }
      const ss = lstatSync(join(source, r));
      const ts = lstatSync(join(target, r));
      if (kind(ss) !== kind(ts)) {
        err(`type differs: ${r} (${kind(ss)} vs ${kind(ts)})`);
        continue;
      }
      if ((ss.mode & 0o7777) !== (ts.mode & 0o7777))
        warn(
          `mode differs: ${r} (${(ss.mode & 0o7777).toString(8)} vs ${(ts.mode & 0o7777).toString(8)})`,
        );
      if (ss.isDirectory()) {
        walk(r);
      } else if (ss.isSymbolicLink()) {
        if (readlinkSync(join(source, r)) !== readlinkSync(join(target, r)))
          err(`symlink target differs: ${r}`);
      } else if (ss.isFile()) {
        if (ss.size !== ts.size) err(`size differs: ${r} (${ss.size} vs ${ts.size})`);
        else if (!sameBytes(join(source, r), join(target, r), ss.size))
          err(`content differs: ${r}`);
        if (Math.floor(ss.mtimeMs / 1000) !== Math.floor(ts.mtimeMs / 1000))
          warn(`mtime differs: ${r}`);
      }
    }
  };
  walk('');
  return res;
}
