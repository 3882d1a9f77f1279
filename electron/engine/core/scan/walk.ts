// Lists one side of a pair: every entry's type and stat, never following a symlink, skipping what
// cannot or should not be synced with a reason. Synchronous on purpose: it runs in a one-shot CLI
// or inside a worker, where 20,000 lstat calls take ~75 ms synchronously and 3× that via promises.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Ignore } from 'ignore';
import { requireCjs } from '../runtime/requireCjs.js';

const ignore = requireCjs('ignore') as typeof import('ignore');
import type { EntryType, Skipped } from '../../../shared/plan.js';
import { sameStat, type StatKey } from '../hash/hashFile.js';
import { encodeName, isTextName, listNames, osPath, readLinkText } from '../runtime/byteNames.js';
import {
  errnoCode,
  FIELD,
  FIELDS as NATIVE_FIELDS,
  LISTED,
  listNative,
  splitNames,
  type NativeListing,
} from './nativeLister.js';

/** A file modified within this long before its scan is rehashed next time (git's racy rule, widened). */
export const RACY_WINDOW_MS = 2000;

/** The pair's own folder at the target root; never synced, compared or shown. */
export const STATE_DIR = '.tandem';
/** Per-pair ignore patterns, gitignore syntax, at the source root (synced like any file). */
export const IGNORE_FILE = '.tandemignore';

export interface WalkEntry extends StatKey {
  type: EntryType;
  mode: number;
  nlink: number;
  /** bytes allocated on disk (files; fewer than `size` where the file is sparse) */
  allocated: number;
  /** owner and group: listed only where the pair keeps owners (WalkOptions.owners) */
  uid?: number;
  gid?: number;
  /** the filesystem it is on, with ino what a hard link shares: listed only for -H */
  dev?: number;
  linkTarget?: string;
}

/** How the target filesystem compares names: probed per pair. */
export interface NameRules {
  foldCase: boolean;
  normalizeUnicode: boolean;
  /**
   * the target takes only valid UTF-8 names (APFS, exFAT, SMB shares): names that are not are
   * skipped there with that reason. Absent in probes recorded before names were bytes.
   */
  textOnly?: boolean;
}

export const EXACT_NAMES: NameRules = { foldCase: false, normalizeUnicode: false, textOnly: false };

/** Names compared as macOS and Windows compare them: the key collisions are reported under. */
const FOLDING: NameRules = { foldCase: true, normalizeUnicode: true };

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

export function nameKey(name: string, rules: NameRules): string {
  let k = name;
  // An ASCII name is its own NFC form: normalize() costs a few µs a name even then.
  if (rules.normalizeUnicode && !isAscii(k)) k = k.normalize('NFC');
  if (rules.foldCase) k = k.toLowerCase();
  return k;
}

export interface WalkOptions {
  ignore?: readonly string[];
  /** the target's rules: names that would collide there are skipped */
  targetNames?: NameRules;
  /** list owners (uid, gid) and devices too: kept out of every entry otherwise (memory, GC) */
  owners?: boolean;
  hardLinks?: boolean;
  /** sum up each folder's listed children (FolderListing): an unchanged folder is then one comparison */
  folderDigests?: boolean;
  /**
   * with folderDigests, where the addon lists: a plain folder's files (PackedFolder) are kept as
   * the addon listed them, not made entries, until withoutCovered unfolds the folders it keeps
   */
  lazy?: boolean;
}

/**
 * A plain folder's children as the addon listed them (lazy listings): ASCII names, files and
 * folders only, nothing to skip, no ignore patterns. Its child folders are entries already.
 */
export interface PackedFolder {
  bytes: Buffer;
  stats: Float64Array;
}

/**
 * A folder's listed children summed up (WalkOptions.folderDigests): `digest` is a hash of each
 * child's name, type, size, mtime, ctime, inode and mode (a link's text too), in listing order,
 * or null where the folder cannot be vouched for by it: a child was skipped, is a file with other
 * names (hard links), or was modified within the racy window. `children` counts the listed ones.
 */
export interface FolderListing {
  digest: Buffer | null;
  children: number;
}

export interface WalkResult {
  root: string;
  /** relative paths with '/' separators; '' is the root folder */
  entries: Map<string, WalkEntry>;
  skipped: Skipped[];
  /** groups of sibling names that would collide on a case-insensitive or normalizing filesystem */
  collisions: string[][];
  /** how many listed names are not valid UTF-8 (a text-only watcher cannot name them) */
  byteNames?: number;
  /** each listed folder's children summed up, where the walk was asked to (folderDigests) */
  folders?: Map<string, FolderListing>;
  /** a lazy listing's plain folders, whose other children are not entries yet (withoutCovered) */
  pending?: Map<string, PackedFolder>;
}

export function makeIgnore(patterns: readonly string[]): Ignore {
  return ignore().add(patterns as string[]);
}

export function walkTree(
  root: string,
  side: 'source' | 'target',
  opts: WalkOptions = {},
): WalkResult {
  const lister = new FolderLister(root, side, opts);
  const visit = (rel: string): void => {
    for (const d of lister.list(rel)) visit(d);
  };
  visit('');
  return lister.result();
}

/**
 * Lists folders of one side one at a time into one listing, with the walk's rules (ignore
 * patterns, collisions, names the target cannot hold, `.tandem`, special files): walkTree lists
 * every folder; a live cycle lists only the folders its changes are in (core/scan/region).
 */
export class FolderLister {
  readonly entries = new Map<string, WalkEntry>();
  readonly skipped: Skipped[] = [];
  readonly collisions: string[][] = [];
  byteNames = 0;
  readonly folders: Map<string, FolderListing> | null;
  readonly pending: Map<string, PackedFolder> | null;
  /** what a listing's digest starts from: the rules that decide which children are listed */
  private readonly seed: Buffer;
  /** the addon's flags that make a folder be listed child by child (not kept packed) */
  private readonly unplain: number;
  private readonly racyAfter: number;
  private readonly ig: Ignore | null;
  private readonly rules: NameRules;
  private readonly rootSep: string;
  private readonly toEntry: (st: ListedStat, type: EntryType) => WalkEntry;
  /** one child's numbers as the addon listed them (reused: one child is read at a time) */
  private readonly scratch: ListedStat = newListedStat();

  constructor(
    readonly root: string,
    readonly side: 'source' | 'target',
    opts: WalkOptions = {},
  ) {
    this.ig = opts.ignore && opts.ignore.length ? makeIgnore(opts.ignore) : null;
    this.rules = opts.targetNames ?? EXACT_NAMES;
    this.rootSep = root.endsWith(path.sep) ? root : root + path.sep;
    this.toEntry = entryMaker(opts);
    this.folders = opts.folderDigests ? new Map() : null;
    // Packed only where an entry is what the numbers say: no owners, devices or ignore patterns.
    this.pending =
      opts.lazy && opts.folderDigests && !opts.owners && !opts.hardLinks && !this.ig
        ? new Map()
        : null;
    this.seed = Buffer.from(`tandem listing 2\0${JSON.stringify(opts.ignore ?? [])}\0`);
    this.unplain =
      LISTED.nonAscii |
      LISTED.unstatted |
      LISTED.special |
      LISTED.symlink |
      // Collisions are looked for among the source's names only.
      (side === 'source' ? LISTED.caseTwins : 0);
    // A child modified after this is too recent to vouch for (scanSide's trust rule, from before the listing).
    this.racyAfter = Date.now() - RACY_WINDOW_MS;
    this.entries.set('', this.toEntry(fs.statSync(root), 'dir'));
  }

  /** Whether a path is left out by the pair's ignore patterns (`dir` for a folder). */
  ignores(rel: string, dir: boolean): boolean {
    return this.ig !== null && this.ig.ignores(dir ? `${rel}/` : rel);
  }

  /**
   * Lists the folder `rel` (already an entry, '' the root): each child's entry, or a skip with
   * its reason. Returns the child folders, in listing order.
   */
  list(rel: string): string[] {
    const { side, rules, skipped, entries } = this;
    // Plain concatenation: path.join normalises every call, measurably slower over 20,000 entries.
    const abs = rel ? this.rootSep + rel : this.root;
    const absSep = abs.endsWith(path.sep) ? abs : abs + path.sep;
    let names: string[];
    // The addon's listing (nativeLister.ts), or null: each child is lstatted here.
    let native: NativeListing | null;
    try {
      native = listNative(encodeName(abs));
      if (native && this.pending && rel !== '' && (native.flags & this.unplain) === 0)
        return this.keepPacked(rel, native);
      names = native ? splitNames(native.bytes) : listNames(abs);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      skipped.push({
        side,
        path: rel,
        reason: `cannot list folder: ${err.code ?? err.message}`,
        unknown: true,
      });
      entries.delete(rel);
      // Its parent's summary counted it as a folder that is there: it cannot vouch now.
      const parent = this.folders?.get(rel.slice(0, Math.max(0, rel.lastIndexOf('/'))));
      if (rel !== '' && parent) parent.digest = null;
      return [];
    }
    const skippedBefore = skipped.length;
    let dropped: Set<string> | null = null;
    if (names.some((n) => !isTextName(n))) {
      this.byteNames += names.reduce((k, n) => k + (isTextName(n) ? 0 : 1), 0);
      if (side === 'source' && rules.textOnly) dropped = dropNonText(rel, names, side, skipped);
    }
    // Collisions matter for what will be written: the source's names.
    const colliding =
      side === 'source'
        ? checkCollisions(
            rel,
            dropped ? names.filter((n) => !dropped.has(n)) : names,
            rules,
            side,
            this.collisions,
            skipped,
          )
        : null;
    const stats = native?.stats ?? null;
    const dirs: string[] = [];
    const sum = this.folders ? (native ? new NativeSum() : new ChildSum()) : null;
    // By index: the addon's numbers for names[k] are its k-th record.
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      if (dropped?.has(name)) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      if (!rel && name === STATE_DIR) {
        // The target's is Tandem's own; one at the source's root would collide with it there.
        if (side === 'source')
          skipped.push({
            side,
            path: name,
            reason: `${STATE_DIR} at the root is the name of Tandem's own folder on the target, so it is not synced; rename it to sync it`,
            unknown: false,
          });
        continue;
      }
      if (colliding?.has(name)) continue;
      let st: ListedStat;
      let failed: string | undefined;
      if (stats) {
        if (stats[k * NATIVE_FIELDS]! < 0) failed = errnoCode(-stats[k * NATIVE_FIELDS]!);
        st = readListed(stats, k, this.scratch);
      } else {
        try {
          st = fs.lstatSync(osPath(absSep + name));
        } catch (e) {
          failed = (e as NodeJS.ErrnoException).code;
          st = this.scratch;
        }
      }
      if (failed !== undefined) {
        const reason =
          failed === 'ENOENT' ? 'vanished while the folder was listed' : `cannot read: ${failed}`;
        skipped.push({ side, path: childRel, reason, unknown: true });
        continue;
      }
      let type = typeOf(st.mode);
      // On the target a special file is known to hold no bytes: listed, so it can be removed or
      // replaced (never opened). In the source it is skipped with its reason.
      if (!type && side === 'target') type = 'special';
      if (!type) {
        skipped.push({
          side,
          path: childRel,
          reason: `${specialKind(st.mode)}: not synced`,
          unknown: false,
        });
        continue;
      }
      if (this.ignores(childRel, type === 'dir')) continue;
      const entry = this.toEntry(st, type);
      if (type === 'symlink') {
        try {
          entry.linkTarget = readLinkText(absSep + name);
        } catch (e) {
          skipped.push({
            side,
            path: childRel,
            reason: `cannot read link: ${(e as NodeJS.ErrnoException).code}`,
            unknown: true,
          });
          continue;
        }
      }
      entries.set(childRel, entry);
      if (type === 'dir') dirs.push(childRel);
      sum?.add(name, entry, this.racyAfter);
    }
    if (sum)
      this.folders!.set(
        rel,
        sum instanceof NativeSum
          ? sum.finish(skipped.length > skippedBefore, this.seed, native!, names, rel)
          : sum.finish(skipped.length > skippedBefore),
      );
    return dirs;
  }

  /**
   * A plain folder (the addon's flags say it holds nothing to look at child by child) in a lazy
   * listing: its child folders become entries, its files stay packed (PackedFolder), its summary
   * is made from the listing as the addon gave it, the same digest a full listing makes of it.
   */
  private keepPacked(rel: string, native: NativeListing): string[] {
    const { bytes, stats } = native;
    const n = stats.length / NATIVE_FIELDS;
    const dirs: string[] = [];
    // Names are read only up to the last child folder: a folder of files reads none.
    let last = -1;
    for (let k = 0; k < n; k++)
      if ((stats[k * NATIVE_FIELDS + FIELD.mode]! & S_IFMT) === S_IFDIR) last = k;
    for (let k = 0, at = 0; k <= last; k++) {
      const end = bytes.indexOf(0, at);
      if ((stats[k * NATIVE_FIELDS + FIELD.mode]! & S_IFMT) === S_IFDIR) {
        // ASCII (the folder is plain): latin1 is the exact decoding and the cheapest.
        const childRel = `${rel}/${bytes.toString('latin1', at, end)}`;
        this.entries.set(childRel, this.toEntry(readListed(stats, k, this.scratch), 'dir'));
        dirs.push(childRel);
      }
      at = end + 1;
    }
    this.pending!.set(rel, { bytes, stats });
    const vouched = (native.flags & LISTED.linked) === 0 && native.newest < this.racyAfter;
    this.folders!.set(rel, {
      digest: vouched ? listingDigest(this.seed, bytes, stats, -1, []) : null,
      children: n,
    });
    return dirs;
  }

  result(): WalkResult {
    return {
      root: this.root,
      entries: this.entries,
      skipped: this.skipped,
      collisions: this.collisions,
      byteNames: this.byteNames,
      ...(this.folders ? { folders: this.folders } : {}),
      ...(this.pending ? { pending: this.pending } : {}),
    };
  }
}

/** One child's numbers from the addon's listing, into `into` (the lister's scratch record). */
function readListed(stats: Float64Array, k: number, into: ListedStat): ListedStat {
  const at = k * NATIVE_FIELDS;
  into.mode = stats[at + FIELD.mode]!;
  into.nlink = stats[at + FIELD.nlink]!;
  into.size = stats[at + FIELD.size]!;
  into.blocks = stats[at + FIELD.blocks]!;
  // As Node computes a Stats' times from the same two numbers (msFromTimeSpec).
  into.mtimeMs = stats[at + FIELD.mtimeSec]! * 1e3 + stats[at + FIELD.mtimeNsec]! / 1e6;
  into.ctimeMs = stats[at + FIELD.ctimeSec]! * 1e3 + stats[at + FIELD.ctimeNsec]! / 1e6;
  into.ino = stats[at + FIELD.ino]!;
  into.uid = stats[at + FIELD.uid]!;
  into.gid = stats[at + FIELD.gid]!;
  into.dev = stats[at + FIELD.dev]!;
  return into;
}

/**
 * A folder's digest from the addon's listing: the rules (`seed`), the number of children, their
 * names' bytes and every number the addon gave for each, and the links' texts; `skip` leaves one
 * child out (`.tandem` at a root). The same whether the folder was kept packed or listed child by
 * child, so a folder's stored digest matches either way. (Without the addon the digest is
 * ChildSum's, another function of the same listing: a folder summed one way and compared the
 * other simply mismatches once, and is listed in full.)
 */
function listingDigest(
  seed: Buffer,
  bytes: Buffer,
  stats: Float64Array,
  skip: number,
  links: readonly string[],
): Buffer {
  const n = stats.length / NATIVE_FIELDS;
  const count = Buffer.alloc(4);
  count.writeUInt32LE(skip < 0 ? n : n - 1);
  const h = createHash('sha256').update(seed).update(count);
  const numbers = new Uint8Array(stats.buffer, stats.byteOffset, stats.byteLength);
  if (skip < 0) h.update(bytes).update(numbers);
  else {
    let from = 0;
    for (let k = 0; k < skip; k++) from = bytes.indexOf(0, from) + 1;
    const to = bytes.indexOf(0, from) + 1;
    const row = NATIVE_FIELDS * 8;
    h.update(bytes.subarray(0, from)).update(bytes.subarray(to));
    h.update(numbers.subarray(0, skip * row)).update(numbers.subarray((skip + 1) * row));
  }
  for (const l of links) h.update(encodeName(l)).update(NUL);
  return h.digest();
}

const NUL = Buffer.alloc(1);

/** Sums up a folder listed child by child from the addon's listing (listingDigest). */
class NativeSum {
  private count = 0;
  private vouched = true;
  private readonly links: string[] = [];

  add(_name: string, e: WalkEntry, racyAfter: number): void {
    this.count++;
    if ((e.type === 'file' && e.nlink > 1) || e.mtimeMs >= racyAfter) this.vouched = false;
    if (e.type === 'symlink') this.links.push(e.linkTarget!);
  }

  finish(
    skippedAny: boolean,
    seed: Buffer,
    native: NativeListing,
    names: readonly string[],
    rel: string,
  ): FolderListing {
    if (!this.vouched || skippedAny) return { digest: null, children: this.count };
    // The target's `.tandem` is Tandem's own, left out of its root's listing.
    const skip = rel === '' ? names.indexOf(STATE_DIR) : -1;
    return {
      digest: listingDigest(seed, native.bytes, native.stats, skip, this.links),
      children: this.count,
    };
  }
}

const plainEntry = entryMaker({});
const unfoldScratch: ListedStat = newListedStat();

/**
 * Adds a packed folder's children to `into` in listing order (lazy listings, PackedFolder): its
 * files made entries now, its child folders the entries the listing made of them.
 */
export function unfoldPacked(
  rel: string,
  packed: PackedFolder,
  listed: ReadonlyMap<string, WalkEntry>,
  into: Map<string, WalkEntry>,
  /** a child folder whose own children are to be added after it (a packed one, not covered) */
  then?: (dir: string) => void,
): void {
  const { bytes, stats } = packed;
  const n = stats.length / NATIVE_FIELDS;
  for (let k = 0, at = 0; k < n; k++) {
    const end = bytes.indexOf(0, at);
    const childRel = `${rel}/${bytes.toString('latin1', at, end)}`;
    at = end + 1;
    const st = readListed(stats, k, unfoldScratch);
    if ((st.mode & S_IFMT) === S_IFDIR) {
      // Absent where the folder could not be listed (its skip says so): left out, as in a full listing.
      const e = listed.get(childRel);
      if (!e) continue;
      into.set(childRel, e);
      then?.(childRel);
    } else into.set(childRel, plainEntry(st, 'file'));
  }
}

/** Sums up one folder's children as they are listed (FolderListing). */
class ChildSum {
  // Reused between folders (one is summed at a time): names and links' texts as UTF-16 code
  // units, exact for every name, with their lengths; the numbers in a Float64Array beside them.
  private static texts = Buffer.alloc(64 * 1024);
  private static numbers = new Float64Array(8 * 1024);
  private texts = ChildSum.texts;
  private numbers = ChildSum.numbers;
  private at = 0;
  private n = 0;
  private count = 0;
  private vouched = true;

  add(name: string, e: WalkEntry, racyAfter: number): void {
    this.count++;
    if (!this.vouched) return;
    if ((e.type === 'file' && e.nlink > 1) || e.mtimeMs >= racyAfter) {
      this.vouched = false;
      return;
    }
    const text = e.type === 'symlink' ? e.linkTarget! : '';
    const need = 2 * (name.length + text.length);
    if (this.at + need > this.texts.length) {
      const bigger = Buffer.alloc(Math.max(2 * this.texts.length, this.at + need));
      this.texts.copy(bigger, 0, 0, this.at);
      this.texts = bigger;
    }
    if (this.n + 9 > this.numbers.length) {
      const bigger = new Float64Array(2 * this.numbers.length);
      bigger.set(this.numbers.subarray(0, this.n));
      this.numbers = bigger;
    }
    this.at += this.texts.write(name, this.at, 'utf16le');
    this.at += this.texts.write(text, this.at, 'utf16le');
    const v = this.numbers;
    let i = this.n;
    v[i++] = name.length;
    v[i++] = text.length;
    v[i++] = TYPE_NUM[e.type];
    v[i++] = e.size;
    v[i++] = e.mtimeMs;
    v[i++] = e.ctimeMs;
    v[i++] = e.ino;
    v[i++] = e.mode;
    v[i++] = e.allocated;
    this.n = i;
  }

  finish(skippedAny: boolean): FolderListing {
    const digest =
      this.vouched && !skippedAny
        ? createHash('sha256')
            .update(this.texts.subarray(0, this.at))
            .update(new Uint8Array(this.numbers.buffer, 0, this.n * 8))
            .digest()
        : null;
    return { digest, children: this.count };
  }
}

/** The stat numbers a listing reads: an fs.Stats has them, and so has the addon's scratch record. */
interface ListedStat {
  mode: number;
  nlink: number;
  size: number;
  blocks: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  uid: number;
  gid: number;
  dev: number;
}

/** a ListedStat of zeros, for readListed to fill in place */
function newListedStat(): ListedStat {
  return {
    mode: 0,
    nlink: 0,
    size: 0,
    blocks: 0,
    mtimeMs: 0,
    ctimeMs: 0,
    ino: 0,
    uid: 0,
    gid: 0,
    dev: 0,
  };
}

// The file type bits of a mode (S_IFMT), as fs.Stats' isFile() and the rest read them.
const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFIFO = 0o010000;
const S_IFSOCK = 0o140000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;

function typeOf(mode: number): EntryType | null {
  const t = mode & S_IFMT;
  if (t === S_IFREG) return 'file';
  if (t === S_IFDIR) return 'dir';
  if (t === S_IFLNK) return 'symlink';
  return null;
}

function specialKind(mode: number): string {
  const t = mode & S_IFMT;
  if (t === S_IFIFO) return 'named pipe (FIFO)';
  if (t === S_IFSOCK) return 'socket';
  if (t === S_IFCHR || t === S_IFBLK) return 'device file';
  return 'special file';
}

/**
 * Whether an entry is still the one a listing saw: same type and inode, and for files and links
 * the same size, mtime and ctime (a folder's size and times change with its contents). `now` is a
 * listed or target stat, where a non-file's size is 0 (listedStat).
 */
export function sameEntry(now: StatKey & { type: string }, seen: WalkEntry): boolean {
  if (now.type !== seen.type || now.ino !== seen.ino) return false;
  if (seen.type === 'dir') return true;
  return sameStat(now, seen);
}

/**
 * The stat an entry is listed and indexed with: only a file's size counts (a folder's or a link's
 * size says nothing about its content), so a row recorded after a write matches the next listing.
 */
export function listedStat(st: fs.Stats): StatKey {
  return { size: st.isFile() ? st.size : 0, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
}

/** Builds entries with the fields the pair needs: every entry of a tree has the same shape. */
function entryMaker(opts: WalkOptions): (st: ListedStat, type: EntryType) => WalkEntry {
  return (st, type) => {
    const e: WalkEntry = {
      type,
      // listedStat's rule: only a file's size counts.
      size: type === 'file' ? st.size : 0,
      mtimeMs: st.mtimeMs,
      ctimeMs: st.ctimeMs,
      ino: st.ino,
      mode: st.mode & 0o7777,
      nlink: st.nlink,
      allocated: type === 'file' ? st.blocks * 512 : 0,
    };
    if (opts.owners) {
      e.uid = st.uid;
      e.gid = st.gid;
    }
    if (opts.hardLinks) e.dev = st.dev;
    return e;
  };
}

/** Names the target cannot hold (it takes only UTF-8): skipped, with that reason. */
function dropNonText(
  rel: string,
  names: string[],
  side: 'source' | 'target',
  skipped: Skipped[],
): Set<string> {
  const dropped = new Set<string>();
  for (const n of names) {
    if (isTextName(n)) continue;
    dropped.add(n);
    skipped.push({
      side,
      path: rel ? `${rel}/${n}` : n,
      reason:
        "name is not valid UTF-8 and the target's filesystem takes only UTF-8 names: rename it to sync it",
      unknown: false,
    });
  }
  return dropped;
}

function checkCollisions(
  rel: string,
  names: string[],
  rules: NameRules,
  side: 'source' | 'target',
  collisions: string[][],
  skipped: Skipped[],
): Set<string> | null {
  // Report collisions under full folding (what macOS and Windows do), skip them only where the
  // target itself folds (there they cannot coexist).
  const groups = new Map<string, string[]>();
  for (const n of names) {
    const k = nameKey(n, FOLDING);
    const g = groups.get(k);
    if (g) g.push(n);
    else groups.set(k, [n]);
  }
  let skip: Set<string> | null = null;
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const paths = g.map((n) => (rel ? `${rel}/${n}` : n));
    collisions.push(paths);
    if (side === 'source' && (rules.foldCase || rules.normalizeUnicode)) {
      const keys = new Set(g.map((n) => nameKey(n, rules)));
      if (keys.size < g.length) {
        skip ??= new Set();
        g.forEach((n, i) => {
          skip!.add(n);
          const others = paths.filter((_, j) => j !== i).join(', ');
          skipped.push({
            side,
            path: paths[i]!,
            reason: `name collides on the target with ${others}`,
            unknown: false,
          });
        });
      }
    }
  }
  return skip;
}

const FIELDS = 11;
const TYPE_NUM: Record<EntryType, number> = { file: 1, dir: 2, symlink: 3, special: 4 };
const NUM_TYPE: EntryType[] = ['file', 'file', 'dir', 'symlink', 'special'];

export interface PackedWalk {
  root: string;
  /** entry paths joined by NUL (which no name can hold) */
  paths: string;
  numbers: Float64Array;
  links: string[];
  skipped: Skipped[];
  collisions: string[][];
  byteNames: number;
  folders?: [path: string, digest: Uint8Array | null, children: number][];
  pending?: [path: string, bytes: Uint8Array, stats: Float64Array][];
}

/** A listing as one string and one number array: cheap to send between threads. */
export function packWalk(w: WalkResult): PackedWalk {
  const numbers = new Float64Array(w.entries.size * FIELDS);
  const paths: string[] = [];
  const links: string[] = [];
  let i = 0;
  for (const [p, e] of w.entries) {
    paths.push(p);
    numbers[i++] = TYPE_NUM[e.type];
    numbers[i++] = e.size;
    numbers[i++] = e.mtimeMs;
    numbers[i++] = e.ctimeMs;
    numbers[i++] = e.ino;
    numbers[i++] = e.mode;
    numbers[i++] = e.nlink;
    numbers[i++] = e.allocated;
    numbers[i++] = e.uid ?? -1;
    numbers[i++] = e.gid ?? -1;
    numbers[i++] = e.dev ?? -1;
    if (e.type === 'symlink') links.push(e.linkTarget!);
  }
  return {
    root: w.root,
    paths: paths.join('\0'),
    numbers,
    links,
    skipped: w.skipped,
    collisions: w.collisions,
    byteNames: w.byteNames ?? 0,
    ...(w.folders ? { folders: [...w.folders].map(([p, f]) => [p, f.digest, f.children]) } : {}),
    ...(w.pending ? { pending: [...w.pending].map(([p, f]) => [p, f.bytes, f.stats]) } : {}),
  };
}

/** A packed listing as a WalkResult; `keep` leaves entries out (a link's text is skipped with it). */
export function unpackWalk(
  p: PackedWalk,
  keep?: (path: string, type: EntryType) => boolean,
): WalkResult {
  const entries = new Map<string, WalkEntry>();
  const paths = p.paths.split('\0');
  const n = p.numbers;
  let link = 0;
  for (let k = 0, i = 0; k < paths.length; k++, i += FIELDS) {
    const type = NUM_TYPE[n[i]!]!;
    if (keep && !keep(paths[k]!, type)) {
      if (type === 'symlink') link++;
      continue;
    }
    const e: WalkEntry = {
      type,
      size: n[i + 1]!,
      mtimeMs: n[i + 2]!,
      ctimeMs: n[i + 3]!,
      ino: n[i + 4]!,
      mode: n[i + 5]!,
      nlink: n[i + 6]!,
      allocated: n[i + 7]!,
    };
    if (n[i + 8]! >= 0) {
      e.uid = n[i + 8]!;
      e.gid = n[i + 9]!;
    }
    if (n[i + 10]! >= 0) e.dev = n[i + 10]!;
    if (type === 'symlink') e.linkTarget = p.links[link++]!;
    entries.set(paths[k]!, e);
  }
  return {
    root: p.root,
    entries,
    skipped: p.skipped,
    collisions: p.collisions,
    byteNames: p.byteNames,
    ...(p.folders
      ? {
          folders: new Map(
            p.folders.map(([path, d, children]) => [
              path,
              { digest: d && Buffer.from(d.buffer, d.byteOffset, d.byteLength), children },
            ]),
          ),
        }
      : {}),
    ...(p.pending
      ? {
          pending: new Map(
            p.pending.map(([path, b, stats]) => [
              path,
              { bytes: Buffer.from(b.buffer, b.byteOffset, b.byteLength), stats },
            ]),
          ),
        }
      : {}),
  };
}
