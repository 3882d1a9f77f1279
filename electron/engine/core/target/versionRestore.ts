// Listing and restoring the versions kept in TARGET/.tandem/versions: a whole file, a symlink, or a
// file rebuilt from the chunks a patch replaced, verified by id and written through the target's
// door (TargetFs) like every other target write: temp file in .tandem/tmp, no link followed.
import type { VersionInfo } from '../../../shared/syncApi.js';
import { sameStat } from '../hash/hashFile.js';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { chooseChunkSize, fileId, symlinkId } from '../hash/identifiers.js';
import { parentOf } from '../scan/tree.js';
import { readJournal, type JournalHeader, rangeStart } from './journal.js';
import { StateNames, STATE_DIR, VERSIONS_DIR } from './stateFolder.js';
import {
  NodeTargetFs,
  readAll,
  TargetPathError,
  writeAll,
  type TargetFile,
  type TargetFs,
  type TargetStat,
} from './targetFs.js';
import { VersionStore, type VersionRecord } from './versionStore.js';

/** A restore that cannot go ahead; the message is one sentence for the user, nothing was changed. */
export class RestoreError extends Error {}

/** A kept version as the UI lists it; the service adds the pair's id. */
export type VersionListing = Omit<VersionInfo, 'pairId'>;

export interface RestoreOptions {
  targetRoot: string;
  /** the target's door; by default the real filesystem at targetRoot */
  targetFs?: TargetFs;
  /** the path relative to the target root, with `/` separators */
  rel: string;
  run: string;
  stored: string;
  /** the pair's hash scheme, the one its version ids are in */
  scheme: string;
}

/** A version's manifest line with the run folder it sits in. */
type KeptRecord = VersionRecord & { run: string };

/** Where something lives in the version store. */
export interface StoredPlace {
  run: string;
  stored: string;
  kind: VersionRecord['kind'];
}

export interface RestoreResult {
  path: string;
  restored: StoredPlace & { size: number };
  /** where what was at `path` went (a new version), or null when nothing was there */
  replaced: StoredPlace | null;
}

const CHUNKS_GONE =
  'this version only kept the chunks a patch replaced, and the file has changed since, so it cannot be rebuilt';

/** Every version kept for `rel`, newest first. */
export function listVersions(target: string | TargetFs, rel: string): VersionListing[] {
  const t = typeof target === 'string' ? new NodeTargetFs(target) : target;
  let kept: (VersionRecord & { run: string })[];
  try {
    kept = VersionStore.list(t, rel);
  } catch (e) {
    // A target that is gone (unmounted) has no versions to show.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return kept.map((r) => ({
    path: r.path,
    run: r.run,
    stored: r.stored,
    time: r.time,
    size: r.size,
    kind: r.kind,
  }));
}

/** What is at the path now: it becomes a version itself before the restored entry replaces it. */
interface Current {
  type: 'file' | 'symlink';
  stat: TargetStat;
  id: string;
  linkTarget?: string;
}

/**
 * Restores one kept version to TARGET/rel. The caller holds the pair's lock (one writer per pair).
 * Nothing on the target changes until the restored entry is complete and verified in a temp file;
 * then what is at the path is kept as a new version and the temp file is renamed over it.
 */
export async function restoreVersion(opts: RestoreOptions): Promise<RestoreResult> {
  const rel = checkRel(opts.rel);
  const t = opts.targetFs ?? new NodeTargetFs(opts.targetRoot);
  let h: SchemeHasher;
  try {
    h = await createSchemeHasher(opts.scheme);
  } catch (e) {
    throw new RestoreError(`cannot restore ${rel}: ${(e as Error).message}`, { cause: e });
  }
  // Looking the version up in the manifests (not joining the given names into a path) means a
  // run or stored name from a client can only ever name a version that exists.
  const record = VersionStore.list(t, rel).find(
    (r) => r.run === opts.run && r.stored === opts.stored,
  );
  if (!record || !isPlainName(record.stored) || !isPlainName(record.run))
    throw new RestoreError(
      `no version ${opts.run}/${opts.stored} of ${rel} is kept; it may have been pruned`,
    );
  const stored = `${VERSIONS_DIR}/${record.run}/${record.stored}`;
  let tmp: string | null = null;
  try {
    checkParents(t, rel, false);
    tmp = new StateNames(t, `restore-${process.pid}`).temp();
    let current: Current | null;
    switch (record.kind) {
      case 'file':
        buildWhole(t, record, stored, tmp, h, rel);
        current = identifyCurrent(t, rel, h, null);
        break;
      case 'symlink':
        buildSymlink(t, record, stored, tmp, h, rel);
        current = identifyCurrent(t, rel, h, null);
        break;
      case 'chunks':
        current = buildFromChunks(t, record, stored, tmp, h, rel);
        break;
      case 'dir':
        throw new RestoreError(
          `${rel}: folders are not kept as versions, only the files and links inside them`,
        );
    }
    // The entry at the path must still be what was identified above, or its kept version would
    // carry the wrong id (and a file that appeared meanwhile would be replaced unseen).
    if (!sameCurrent(t.lstat(rel), current))
      throw new RestoreError(
        `${rel} changed on the target while it was being restored; nothing was changed, try again`,
      );
    const made = checkParents(t, rel, true);
    const replaced = current ? keepCurrent(t, rel, current) : null;
    t.rename(tmp, rel);
    tmp = null;
    t.fsyncDirs([parentOf(rel), ...made.map(parentOf)]);
    return {
      path: rel,
      restored: { run: record.run, stored: record.stored, kind: record.kind, size: record.size },
      replaced,
    };
  } catch (e) {
    if (tmp !== null && t.lstat(tmp)) t.unlink(tmp);
    if (e instanceof RestoreError) throw e;
    if (e instanceof TargetPathError)
      throw new RestoreError(`cannot restore ${rel}: ${e.message}`, { cause: e });
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOSPC')
      throw new RestoreError(
        `the target disk is full while restoring ${rel}; free some space and try again`,
        { cause: e },
      );
    throw new RestoreError(`could not restore ${rel}: ${err.code ?? ''} ${err.message}`.trim(), {
      cause: e,
    });
  }
}

/** Copies a kept whole file into the temp file (the kept copy stays restorable) and checks its id. */
function buildWhole(
  t: TargetFs,
  record: KeptRecord,
  stored: string,
  tmp: string,
  h: SchemeHasher,
  rel: string,
): void {
  checkIdLength(record.id, h, rel);
  const src = openKept(t, stored, record, rel);
  try {
    const st = src.stat();
    if (st.type !== 'file' || st.size !== record.size) throw damaged(record, rel);
    const out = t.create(tmp, 0o600);
    try {
      const cs = record.chunkSize ?? chooseChunkSize(record.size);
      const id = identify(src, record.size, cs, h, out);
      if (id?.toString('hex') !== record.id) throw damaged(record, rel);
      out.chmod(record.mode & 0o7777);
      out.setMtime(record.mtimeMs);
      out.sync();
    } finally {
      out.close();
    }
  } finally {
    src.close();
  }
}

function buildSymlink(
  t: TargetFs,
  record: KeptRecord,
  stored: string,
  tmp: string,
  h: SchemeHasher,
  rel: string,
): void {
  checkIdLength(record.id, h, rel);
  const st = t.lstat(stored);
  if (!st) throw missing(record, rel);
  if (st.type !== 'symlink') throw damaged(record, rel);
  const linkTarget = t.readlink(stored);
  if (
    (record.linkTarget !== undefined && record.linkTarget !== linkTarget) ||
    symlinkId(h, linkTarget).toString('hex') !== record.id
  )
    throw damaged(record, rel);
  t.symlink(linkTarget, tmp);
  t.setMtime(tmp, record.mtimeMs);
}

/**
 * Rebuilds the file a patch replaced: the current file with the kept chunks written back and its
 * old size, built in the temp file. It is right only if the file is still what that patch left,
 * which the rebuilt file's id (the id before the patch) settles either way.
 */
function buildFromChunks(
  t: TargetFs,
  record: KeptRecord,
  stored: string,
  tmp: string,
  h: SchemeHasher,
  rel: string,
): Current {
  const { header: jh, data } = readKeptJournal(t, record, stored, h, rel);
  if (t.lstat(rel)?.type !== 'file')
    throw new RestoreError(
      `${rel}: this version only kept the chunks a patch replaced, and no file is at that path any more, so it cannot be rebuilt`,
    );
  const out = t.create(tmp, 0o600, true);
  try {
    const current = identifyCurrent(t, rel, h, out);
    if (!current || current.type !== 'file') throw new RestoreError(`${rel}: ${CHUNKS_GONE}`);
    for (let i = 0; i < jh.chunks.length; i++)
      writeAll(out, data[i]!, rangeStart(jh, jh.chunks[i]!));
    out.truncate(jh.restoreSize);
    // Hash what was written, read back, so the check covers the temp file itself.
    const id = identify(out, jh.restoreSize, jh.chunkSize, h, null);
    if (id?.toString('hex') !== jh.restoreId) throw new RestoreError(`${rel}: ${CHUNKS_GONE}`);
    out.chmod(jh.restoreMode & 0o7777);
    out.setMtime(jh.restoreMtimeMs);
    out.sync();
    return current;
  } finally {
    out.close();
  }
}

function readKeptJournal(
  t: TargetFs,
  record: KeptRecord,
  stored: string,
  h: SchemeHasher,
  rel: string,
): { header: JournalHeader; data: Buffer[] } {
  let j;
  try {
    j = readJournal(t, stored, h);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missing(record, rel);
    throw e;
  }
  // A kept journal was committed before it was adopted: anything less is damage (or another
  // hash scheme, whose chunk ids cannot be checked with this one).
  if (!j.committed) throw damaged(record, rel);
  const { header, data } = j;
  if (
    header.path !== rel ||
    header.restoreId !== record.id ||
    header.chunks.some((c) => !Number.isSafeInteger(c.index) || c.index < 0)
  )
    throw damaged(record, rel);
  return { header, data };
}

/**
 * Identifies the entry at `rel` (null when nothing is there); a file is hashed, and copied into
 * `copyTo` on the way when given. Refuses folders and special files: they cannot be kept.
 */
function identifyCurrent(
  t: TargetFs,
  rel: string,
  h: SchemeHasher,
  copyTo: TargetFile | null,
): Current | null {
  const st = t.lstat(rel);
  if (!st) return null;
  if (st.type === 'symlink') {
    const linkTarget = t.readlink(rel);
    return { type: 'symlink', stat: st, linkTarget, id: symlinkId(h, linkTarget).toString('hex') };
  }
  if (st.type === 'dir')
    throw new RestoreError(`a folder is now at ${rel}; move it away first, then restore`);
  if (st.type !== 'file')
    throw new RestoreError(`${rel} is now a special file; move it away first, then restore`);
  const f = t.openRead(rel);
  try {
    const before = f.stat();
    const id = identify(f, before.size, chooseChunkSize(before.size), h, copyTo);
    if (!id || !sameStat(before, st) || !sameStat(before, f.stat()))
      throw new RestoreError(
        `${rel} changed on the target while it was being restored; nothing was changed, try again`,
      );
    return { type: 'file', stat: before, id: id.toString('hex') };
  } finally {
    f.close();
  }
}

/**
 * Reads `size` bytes in chunks of `cs`, writing them to `copyTo` at the same offsets when given,
 * and returns their file id; null when the file holds fewer bytes.
 */
function identify(
  from: TargetFile,
  size: number,
  cs: number,
  h: SchemeHasher,
  copyTo: TargetFile | null,
): Buffer | null {
  const n = Math.ceil(size / cs);
  const ids = Buffer.alloc(n * h.idBytes);
  const buf = Buffer.allocUnsafe(Math.min(cs, size));
  for (let i = 0; i < n; i++) {
    const len = Math.min(cs, size - i * cs);
    if (readAll(from, buf, len, i * cs) !== len) return null;
    const chunk = buf.subarray(0, len);
    h.hash(chunk).copy(ids, i * h.idBytes);
    if (copyTo) writeAll(copyTo, chunk, i * cs);
  }
  return fileId(h, size, cs, ids);
}

/** Keeps the current entry as a new version (a file by hard link) and says where it went. */
function keepCurrent(t: TargetFs, rel: string, c: Current): StoredPlace {
  const store = new VersionStore(t);
  let place: { run: string; stored: string };
  try {
    place = store.keepEntry(
      rel,
      {
        size: c.stat.size,
        mtimeMs: c.stat.mtimeMs,
        mode: c.stat.mode,
        id: c.id,
        ...(c.linkTarget !== undefined ? { linkTarget: c.linkTarget } : {}),
      },
      c.type,
    );
    store.sync();
  } finally {
    store.close();
  }
  t.fsyncDirs([store.runFolder!, VERSIONS_DIR]);
  return { ...place, kind: c.type };
}

/**
 * Every folder between the root and `rel` must be a real folder, not a symlink (the door throws
 * for a link on the way). Checking only (before anything is built), it stops at the first missing
 * one; with `create`, it makes the missing ones as real folders and returns those it made.
 */
function checkParents(t: TargetFs, rel: string, create: boolean): string[] {
  const made: string[] = [];
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const cur = parts.slice(0, i).join('/');
    let st = t.lstat(cur);
    if (!st) {
      if (!create) return made;
      t.mkdir(cur, 0o755);
      made.push(cur);
      st = t.lstat(cur);
    }
    if (st?.type === 'symlink')
      throw new RestoreError(`a symlink is in the way at ${cur}; nothing was written through it`);
    if (st?.type !== 'dir')
      throw new RestoreError(`${cur} is not a folder on the target, so ${rel} cannot go there`);
  }
  return made;
}

function sameCurrent(now: TargetStat | null, was: Current | null): boolean {
  if (!now || !was) return now === null && was === null;
  return now.type === was.type && sameStat(now, was.stat);
}

/** A target-relative path that stays below the root and outside Tandem's own folder. */
function checkRel(rel: string): string {
  const parts = rel.split('/');
  if (!rel || parts.some((p) => !isPlainName(p)) || parts[0] === STATE_DIR)
    throw new RestoreError(`'${rel}' is not a path inside the target`);
  return rel;
}

function isPlainName(p: string): boolean {
  return p !== '' && p !== '.' && p !== '..' && !p.includes('/') && !p.includes('\0');
}

function checkIdLength(id: string, h: SchemeHasher, rel: string): void {
  if (id.length !== h.idBytes * 2)
    throw new RestoreError(
      `this version of ${rel} was kept under another hash scheme than the pair's (${h.scheme}), so it cannot be verified`,
    );
}

function damaged(r: KeptRecord, rel: string): RestoreError {
  return new RestoreError(
    `the kept copy of ${rel} (${r.stored} in ${r.run}) is damaged: it no longer matches what was kept, so it cannot be restored`,
  );
}

function missing(r: KeptRecord, rel: string): RestoreError {
  return new RestoreError(
    `the kept copy of ${rel} (${r.stored} in ${r.run}) is missing from the version store, so it cannot be restored`,
  );
}

function openKept(t: TargetFs, stored: string, r: KeptRecord, rel: string): TargetFile {
  try {
    return t.openRead(stored);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw missing(r, rel);
    if (code === 'ELOOP') throw damaged(r, rel);
    throw e;
  }
}
