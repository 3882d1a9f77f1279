// Extended attributes and POSIX ACLs as part of an entry's metadata: read without following a
// link, filtered by the pair's settings, and identified by one hash like the data (a difference in
// attributes alone is a cheap metadata change). @napi-rs/xattr is a prebuilt N-API addon, so the
// Electron app needs no rebuild; it uses the l*xattr calls (a link's own attributes, never its
// target's).
import type { SchemeHasher } from '../hash/hashScheme.js';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { requireCjs } from '../runtime/requireCjs.js';
import { isTextName, osPath } from '../runtime/byteNames.js';

type XattrModule = typeof import('@napi-rs/xattr');
let mod: XattrModule | null | undefined;

/** The addon, or null where it does not load (a platform without a prebuilt binary). */
export function xattrModule(): XattrModule | null {
  if (mod === undefined) {
    try {
      mod = requireCjs('@napi-rs/xattr') as XattrModule;
    } catch {
      mod = null;
    }
  }
  return mod;
}

/** Which attributes a pair syncs: rsync's -X (extended attributes) and -A (ACLs). */
export interface XattrOptions {
  xattrs: boolean;
  acls: boolean;
}

export const NO_XATTRS: XattrOptions = { xattrs: false, acls: false };

const ACL_NAMES = new Set(['system.posix_acl_access', 'system.posix_acl_default']);

/**
 * Whether a pair syncs the attribute `name`: user.* with -X (and trusted.* when running as root,
 * who alone may read and write them); the POSIX ACLs with -A. Other system.* and security.*
 * attributes belong to the filesystem or the security module, not to the file's data.
 */
export function syncsAttribute(name: string, o: XattrOptions): boolean {
  if (ACL_NAMES.has(name)) return o.acls;
  if (!o.xattrs) return false;
  if (name.startsWith('user.')) return true;
  return name.startsWith('trusted.') && process.getuid?.() === 0;
}

export function wantsXattrs(o: XattrOptions | undefined): o is XattrOptions {
  return o !== undefined && (o.xattrs || o.acls);
}

/** withTextPath's answer where an entry cannot be named to the attribute library. */
export const NOT_TEXT = Symbol('not text');
export const NOT_TEXT_REASON =
  'the extended attributes of a link whose own name is not valid UTF-8 cannot be read or written (the attribute library takes only text paths)';

/**
 * Runs `fn` with a text path that names the entry at `abs` without following a link at its end:
 * the attribute library takes only strings, so a path holding bytes that are not UTF-8 reaches it
 * through /proc/self/fd: its parent folder opened by bytes and the entry's own name, or for a
 * folder with such a name the folder itself opened (`/proc/self/fd/N/.`). A file or link whose own
 * name is not UTF-8 has no text path: NOT_TEXT (readXattrs reads such a file by getfattr; the
 * target's door names it by a hard link in its own temp folder).
 */
export function withTextPath<T>(abs: string, fn: (p: string) => T): T | typeof NOT_TEXT {
  if (isTextName(abs)) return fn(abs);
  const cut = abs.lastIndexOf('/');
  const name = abs.slice(cut + 1);
  const dirFlags = fs.constants.O_RDONLY | fs.constants.O_DIRECTORY;
  let fd: number;
  let p: string;
  if (isTextName(name)) {
    fd = fs.openSync(osPath(abs.slice(0, cut) || '/'), dirFlags);
    p = `/proc/self/fd/${fd}/${name}`;
  } else {
    try {
      fd = fs.openSync(osPath(abs), dirFlags | (fs.constants.O_NOFOLLOW ?? 0));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTDIR' || code === 'ELOOP') return NOT_TEXT;
      throw e;
    }
    p = `/proc/self/fd/${fd}/.`;
  }
  try {
    return fn(p);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The synced attributes of an entry at an absolute path, sorted by name; [] when it has none;
 * NOT_TEXT where its name keeps them out of reach (withTextPath).
 */
export function readXattrs(abs: string, o: XattrOptions): [string, Buffer][] | typeof NOT_TEXT {
  const x = xattrModule();
  if (!x) return [];
  const read = withTextPath(abs, (p) => {
    const out: [string, Buffer][] = [];
    for (const name of x.listAttributesSync(p).sort()) {
      if (!syncsAttribute(name, o)) continue;
      const v = x.getAttributeSync(p, name);
      if (v !== null) out.push([name, v]);
    }
    return out;
  });
  if (read !== NOT_TEXT || !fs.lstatSync(osPath(abs)).isFile()) return read;
  return readXattrsByTool(abs, o);
}

/**
 * A file whose own name is not UTF-8 (a source file: Tandem may not write beside it) is read by
 * getfattr, which follows a link: one with a text name in a temp folder made for this read and
 * removed after it (a folder kept for the process would outlive a worker thread, whose exit hooks
 * never run), pointing at the file's bytes. NOT_TEXT where getfattr is not installed (the attr
 * package). The link is followed at its end, so a file swapped for a link in between is read
 * through it: the read is only trusted as far as apply's check of the attribute id before it
 * writes.
 */
function readXattrsByTool(abs: string, o: XattrOptions): [string, Buffer][] | typeof NOT_TEXT {
  const linkDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-xattr-'));
  const link = path.join(linkDir, 'l');
  try {
    fs.symlinkSync(osPath(abs), link);
    const r = spawnSync(
      'getfattr',
      ['--absolute-names', '--dump', '--match=-', '--encoding=base64', '--', link],
      { encoding: 'utf8' },
    );
    if (r.error) return NOT_TEXT;
    if (r.status !== 0) {
      if (/not supported/i.test(r.stderr)) return [];
      throw new Error(`getfattr: ${r.stderr.trim() || `exit ${r.status}`}`);
    }
    const out: [string, Buffer][] = [];
    for (const line of r.stdout.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      const name = eq < 0 ? line : line.slice(0, eq);
      const raw = eq < 0 ? '' : line.slice(eq + 1);
      if (!syncsAttribute(name, o)) continue;
      out.push([
        name,
        raw.startsWith('0s') ? Buffer.from(raw.slice(2), 'base64') : Buffer.alloc(0),
      ]);
    }
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  } finally {
    fs.rmSync(linkDir, { recursive: true, force: true });
  }
}

/** One id for a set of attributes: H("X", for each in name order: name, value). */
export function xattrsId(h: SchemeHasher, attrs: readonly [string, Buffer][]): Buffer {
  h.init();
  h.update(Buffer.from('X'));
  const len = Buffer.alloc(8);
  for (const [name, value] of attrs) {
    const n = Buffer.from(name, 'utf8');
    len.writeUInt32LE(n.length, 0);
    len.writeUInt32LE(value.length, 4);
    h.update(len);
    h.update(n);
    h.update(value);
  }
  return h.digest();
}
