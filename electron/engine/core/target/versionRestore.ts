// Listing and restoring the versions kept in TARGET/.tandem/versions: a whole file, a symlink, or a
// file rebuilt from the chunks a patch replaced, written through apply's guards and verified by id.
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { VersionInfo } from '../../../shared/syncApi.js';
import { fsyncDir } from './durability.js';
import { sameStat, statKey } from '../hash/hashFile.js';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { chooseChunkSize, fileId, symlinkId } from '../hash/identifiers.js';
import { readJournal, type JournalHeader } from './journal.js';
import { VersionStore, type VersionRecord } from './versionStore.js';
import { STATE_DIR } from '../scan/walk.js';

/** A restore that cannot go ahead; the message is one sentence for the user, nothing was changed. */
export class RestoreError extends Error {}

/** A kept version as the UI lists it; the service adds the pair's id. */
export type VersionListing = Omit<VersionInfo, 'pairId'>;

export interface RestoreOptions {
  targetRoot: string;
  /** TARGET/.tandem: holds the version store and the temp folder */
  stateDir: string;
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

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
const CHUNKS_GONE =
  'this version only kept the chunks a patch replaced, and the file has changed since, so it cannot be rebuilt';

/** Every version kept for `rel`, newest first. */
export function listVersions(targetRoot: string, rel: string): VersionListing[] {
  return VersionStore.list(path.join(targetRoot, STATE_DIR, 'versions'), rel).map((r) => ({
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
  stat: fs.Stats;
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
  const versionsDir = path.join(opts.stateDir, 'versions');
  // Looking the version up in the manifests (not joining the given names into a path) means a
  // run or stored name from a client can only ever name a version that exists.
  const record = VersionStore.list(versionsDir, rel).find(
    (r) => r.run === opts.run && r.stored === opts.stored,
  );
  if (!record || !isPlainName(record.stored))
    throw new RestoreError(
      `no version ${opts.run}/${opts.stored} of ${rel} is kept; it may have been pruned`,
    );
  const storedAbs = path.join(versionsDir, record.run, record.stored);
  let h: SchemeHasher;
  try {
    h = await createSchemeHasher(opts.scheme);
  } catch (e) {
    throw new RestoreError(`cannot restore ${rel}: ${(e as Error).message}`, { cause: e });
  }
  const dest = path.join(opts.targetRoot, rel);
  const tmp = await tempPath(opts.stateDir);
  try {
    await walkParents(opts.targetRoot, rel, false);
    let current: Current | null;
    switch (record.kind) {
      case 'file':
        await buildWhole(record, storedAbs, tmp, h, rel);
        current = await identifyCurrent(dest, rel, h, null);
        break;
      case 'symlink':
        await buildSymlink(record, storedAbs, tmp, h, rel);
        current = await identifyCurrent(dest, rel, h, null);
        break;
      case 'chunks':
        current = await buildFromChunks(record, storedAbs, dest, tmp, h, rel);
        break;
      case 'dir':
        throw new RestoreError(
          `${rel}: folders are not kept as versions, only the files and links inside them`,
        );
    }
    // The entry at the path must still be what was identified above, or its kept version would
    // carry the wrong id (and a file that appeared meanwhile would be replaced unseen).
    const now = await lstatOrNull(dest);
    if (!sameCurrent(now, current))
      throw new RestoreError(
        `${rel} changed on the target while it was being restored; nothing was changed, try again`,
      );
    const made = await walkParents(opts.targetRoot, rel, true);
    const replaced = current ? keepCurrent(versionsDir, dest, rel, current) : null;
    await fsp.rename(tmp, dest);
    fsyncDir(path.dirname(dest));
    for (const d of made) fsyncDir(path.dirname(d));
    return {
      path: rel,
      restored: { run: record.run, stored: record.stored, kind: record.kind, size: record.size },
      replaced,
    };
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    if (e instanceof RestoreError) throw e;
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
async function buildWhole(
  record: KeptRecord,
  storedAbs: string,
  tmp: string,
  h: SchemeHasher,
  rel: string,
): Promise<void> {
  checkIdLength(record.id, h, rel);
  const src = await openKept(storedAbs, record, rel);
  try {
    const st = await src.stat();
    if (!st.isFile() || st.size !== record.size) throw damaged(record, rel);
    const out = await createTemp(tmp);
    try {
      const cs = record.chunkSize ?? chooseChunkSize(record.size);
      const id = await identify(src, record.size, cs, h, out);
      if (id?.toString('hex') !== record.id) throw damaged(record, rel);
      await out.chmod(record.mode & 0o7777);
      await out.utimes(record.mtimeMs / 1000, record.mtimeMs / 1000);
      await out.sync();
    } finally {
      await out.close();
    }
  } finally {
    await src.close();
  }
}

async function buildSymlink(
  record: KeptRecord,
  storedAbs: string,
  tmp: string,
  h: SchemeHasher,
  rel: string,
): Promise<void> {
  checkIdLength(record.id, h, rel);
  const st = await lstatOrNull(storedAbs);
  if (!st) throw missing(record, rel);
  if (!st.isSymbolicLink()) throw damaged(record, rel);
  const linkTarget = await fsp.readlink(storedAbs);
  if (
    (record.linkTarget !== undefined && record.linkTarget !== linkTarget) ||
    symlinkId(h, linkTarget).toString('hex') !== record.id
  )
    throw damaged(record, rel);
  await fsp.symlink(linkTarget, tmp);
}

/**
 * Rebuilds the file a patch replaced: the current file with the kept chunks written back and its
 * old size, built in the temp file. It is right only if the file is still what that patch left,
 * which the rebuilt file's id (the id before the patch) settles either way.
 */
async function buildFromChunks(
  record: KeptRecord,
  storedAbs: string,
  dest: string,
  tmp: string,
  h: SchemeHasher,
  rel: string,
): Promise<Current> {
  const { header: jh, data } = readKeptJournal(record, storedAbs, h, rel);
  const st = await lstatOrNull(dest);
  if (!st?.isFile())
    throw new RestoreError(
      `${rel}: this version only kept the chunks a patch replaced, and no file is at that path any more, so it cannot be rebuilt`,
    );
  const out = await createTemp(tmp, true);
  try {
    const current = await identifyCurrent(dest, rel, h, out);
    if (!current || current.type !== 'file') throw new RestoreError(`${rel}: ${CHUNKS_GONE}`);
    for (let i = 0; i < jh.chunks.length; i++) {
      await writeAt(out, data[i]!, jh.chunks[i]!.index * jh.chunkSize);
    }
    await out.truncate(jh.restoreSize);
    // Hash what was written, read back, so the check covers the temp file itself.
    const id = await identify(out, jh.restoreSize, jh.chunkSize, h, null);
    if (id?.toString('hex') !== jh.restoreId) throw new RestoreError(`${rel}: ${CHUNKS_GONE}`);
    await out.chmod(jh.restoreMode & 0o7777);
    await out.utimes(jh.restoreMtimeMs / 1000, jh.restoreMtimeMs / 1000);
    await out.sync();
    return current;
  } finally {
    await out.close();
  }
}

function readKeptJournal(
  record: KeptRecord,
  storedAbs: string,
  h: SchemeHasher,
  rel: string,
): { header: JournalHeader; data: Buffer[] } {
  let j;
  try {
    j = readJournal(storedAbs, h);
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
 * Identifies the entry at `dest` (null when nothing is there); a file is hashed, and copied into
 * `copyTo` on the way when given. Refuses folders and special files: they cannot be kept.
 */
async function identifyCurrent(
  dest: string,
  rel: string,
  h: SchemeHasher,
  copyTo: FileHandle | null,
): Promise<Current | null> {
  const st = await lstatOrNull(dest);
  if (!st) return null;
  if (st.isSymbolicLink()) {
    const linkTarget = await fsp.readlink(dest);
    return { type: 'symlink', stat: st, linkTarget, id: symlinkId(h, linkTarget).toString('hex') };
  }
  if (st.isDirectory())
    throw new RestoreError(`a folder is now at ${rel}; move it away first, then restore`);
  if (!st.isFile())
    throw new RestoreError(`${rel} is now a special file; move it away first, then restore`);
  const fh = await fsp.open(dest, fs.constants.O_RDONLY | NOFOLLOW);
  try {
    const before = await fh.stat();
    const id = await identify(fh, before.size, chooseChunkSize(before.size), h, copyTo);
    const after = await fh.stat();
    if (
      !id ||
      !sameStat(statKey(before), statKey(st)) ||
      !sameStat(statKey(before), statKey(after))
    )
      throw new RestoreError(
        `${rel} changed on the target while it was being restored; nothing was changed, try again`,
      );
    return { type: 'file', stat: before, id: id.toString('hex') };
  } finally {
    await fh.close();
  }
}

/**
 * Reads `size` bytes in chunks of `cs`, writing them to `copyTo` at the same offsets when given,
 * and returns their file id; null when the file holds fewer bytes.
 */
async function identify(
  from: FileHandle,
  size: number,
  cs: number,
  h: SchemeHasher,
  copyTo: FileHandle | null,
): Promise<Buffer | null> {
  const n = Math.ceil(size / cs);
  const ids = Buffer.alloc(n * h.idBytes);
  const buf = Buffer.allocUnsafe(Math.min(cs, size));
  for (let i = 0; i < n; i++) {
    const len = Math.min(cs, size - i * cs);
    if ((await readAt(from, buf, len, i * cs)) !== len) return null;
    const chunk = buf.subarray(0, len);
    h.hash(chunk).copy(ids, i * h.idBytes);
    if (copyTo) await writeAt(copyTo, chunk, i * cs);
  }
  return fileId(h, size, cs, ids);
}

/** Keeps the current entry as a new version (a file by hard link) and says where it went. */
function keepCurrent(versionsDir: string, dest: string, rel: string, c: Current): StoredPlace {
  const store = new VersionStore(versionsDir);
  let place: { run: string; stored: string };
  try {
    place = store.keepEntry(
      dest,
      rel,
      {
        size: c.stat.size,
        mtimeMs: c.stat.mtimeMs,
        mode: c.stat.mode & 0o7777,
        id: c.id,
        ...(c.linkTarget !== undefined ? { linkTarget: c.linkTarget } : {}),
      },
      c.type,
    );
    store.sync();
  } finally {
    store.close();
  }
  fsyncDir(path.join(versionsDir, place.run));
  fsyncDir(versionsDir);
  return { ...place, kind: c.type };
}

/**
 * Every folder between the root and `rel` must be a real folder, not a symlink. Checking only
 * (before anything is built), it stops at the first missing one; with `create`, it makes the
 * missing ones as real folders and returns those it made.
 */
async function walkParents(root: string, rel: string, create: boolean): Promise<string[]> {
  const made: string[] = [];
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const cur = parts.slice(0, i).join('/');
    const abs = path.join(root, cur);
    let st = await lstatOrNull(abs);
    if (!st) {
      if (!create) return made;
      try {
        await fsp.mkdir(abs);
        made.push(abs);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      st = await lstatOrNull(abs);
    }
    if (st?.isSymbolicLink())
      throw new RestoreError(`a symlink is in the way at ${cur}; nothing was written through it`);
    if (!st?.isDirectory())
      throw new RestoreError(`${cur} is not a folder on the target, so ${rel} cannot go there`);
  }
  return made;
}

function sameCurrent(now: fs.Stats | null, was: Current | null): boolean {
  if (!now || !was) return now === null && was === null;
  const type = now.isSymbolicLink() ? 'symlink' : now.isFile() ? 'file' : 'other';
  return type === was.type && sameStat(statKey(now), statKey(was.stat));
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

async function openKept(file: string, r: KeptRecord, rel: string): Promise<FileHandle> {
  try {
    return await fsp.open(file, fs.constants.O_RDONLY | NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw missing(r, rel);
    if (code === 'ELOOP') throw damaged(r, rel);
    throw e;
  }
}

/** A short generated name in TARGET/.tandem/tmp, so the rename stays on the target's filesystem. */
async function tempPath(stateDir: string): Promise<string> {
  const dir = path.join(stateDir, 'tmp');
  await fsp.mkdir(dir, { recursive: true });
  return path.join(dir, `restore-${process.pid}-${crypto.randomBytes(6).toString('hex')}`);
}

/** Created exclusively and never through a link (the name is checked not to exist). */
function createTemp(tmp: string, readBack = false): Promise<FileHandle> {
  const access = readBack ? fs.constants.O_RDWR : fs.constants.O_WRONLY;
  return fsp.open(tmp, access | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW, 0o600);
}

async function lstatOrNull(p: string): Promise<fs.Stats | null> {
  try {
    return await fsp.lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    throw e;
  }
}

async function readAt(fh: FileHandle, buf: Buffer, len: number, pos: number): Promise<number> {
  let done = 0;
  while (done < len) {
    const { bytesRead } = await fh.read(buf, done, len - done, pos + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

async function writeAt(fh: FileHandle, buf: Buffer, pos: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, pos + done);
    done += bytesWritten;
  }
}
