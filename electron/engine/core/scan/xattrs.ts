// Extended attributes and POSIX ACLs as part of an entry's metadata: read without following a
// link, filtered by the pair's settings, and identified by one hash like the data (a difference in
// attributes alone is a cheap metadata change). @napi-rs/xattr is a prebuilt N-API addon, so the
// Electron app needs no rebuild; it uses the l*xattr calls (a link's own attributes, never its
// target's).
import type { SchemeHasher } from '../hash/hashScheme.js';
import { requireCjs } from '../runtime/requireCjs.js';

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

/** The synced attributes of an entry at an absolute path, sorted by name; [] when it has none. */
export function readXattrs(abs: string, o: XattrOptions): [string, Buffer][] {
  const x = xattrModule();
  if (!x) return [];
  const out: [string, Buffer][] = [];
  for (const name of x.listAttributesSync(abs).sort()) {
    if (!syncsAttribute(name, o)) continue;
    const v = x.getAttributeSync(abs, name);
    if (v !== null) out.push([name, v]);
  }
  return out;
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
