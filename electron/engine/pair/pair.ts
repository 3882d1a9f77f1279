// Opening a pair: check the two folders (refusing bad input before anything is written), find its
// index in Tandem's state folder, take its lock, check the target is still the same target,
// recover an interrupted patch, and probe how the target filesystem treats names and mtimes.
import crypto from 'node:crypto';
import { parseLocation, type RemoteLocation } from '../../shared/remoteAddress.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { IdentifierIndex } from '../core/index/identifierIndex.js';
import { acquirePairLock } from './pairLock.js';
import {
  judgeTarget,
  markerWith,
  parseMarker,
  readTargetRecord,
  targetRecordFile,
  writeTargetRecord,
  type Marker,
  type TargetRecord,
} from './targetIdentity.js';
import { recoverJournals, type RecoveryReport } from '../core/target/journal.js';
import {
  clearTemp,
  ensureStateDir,
  readTargetFile,
  removeTree,
  StateFolderError,
  writeStateFile,
} from '../core/target/stateFolder.js';
import { NodeTargetFs, type TargetFs } from '../core/target/targetFs.js';
import { STATE_DIR, type NameRules } from '../core/scan/walk.js';

/** Bad input or a pair that must not be touched: exit 2, nothing written. */
export class RefusalError extends Error {}

/**
 * The target is not provably the folder this pair last synced (a moved link, a missing or swapped
 * disk): refused until a person confirms it (`confirmTarget`, `--confirm-target`).
 */
export class TargetChangedError extends RefusalError {}

export function tandemHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TANDEM_HOME) return path.resolve(env.TANDEM_HOME);
  const home = os.homedir();
  if (process.platform === 'darwin')
    return path.join(home, 'Library', 'Application Support', 'Tandem');
  if (process.platform === 'win32')
    return path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Tandem');
  return path.join(env.XDG_STATE_HOME ?? path.join(home, '.local', 'state'), 'tandem');
}

export interface PairPaths {
  source: string;
  target: string;
  /** the target as given, made absolute but not resolved: a link in it may later lead elsewhere */
  targetGiven: string;
  /** false when the target folder does not exist yet */
  targetExists: boolean;
  key: string;
}

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** Resolves and checks the two roots. Throws RefusalError with a one-line reason. */
/** The source folder, real path: it must exist, be a folder and be readable (RefusalError). */
export function resolveSource(sourceArg: string): string {
  let source: string;
  try {
    source = fs.realpathSync(sourceArg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RefusalError(
      code === 'ENOENT'
        ? `source folder not found: ${sourceArg}`
        : `cannot open source ${sourceArg}: ${code}`,
    );
  }
  const st = fs.statSync(source);
  if (!st.isDirectory()) throw new RefusalError(`source is not a folder: ${sourceArg}`);
  try {
    fs.accessSync(source, fs.constants.R_OK | fs.constants.X_OK);
    fs.readdirSync(source);
  } catch (e) {
    throw new RefusalError(
      `cannot read source folder ${sourceArg}: ${(e as NodeJS.ErrnoException).code}`,
    );
  }
  return source;
}

export function resolvePair(sourceArg: string, targetArg: string): PairPaths {
  const source = resolveSource(sourceArg);
  const { target, targetExists } = resolveTarget(targetArg);
  if (target === source) throw new RefusalError(`source and target are the same folder: ${source}`);
  if (isInside(target, source))
    throw new RefusalError(
      `target ${target} is inside source ${source}; choose a target outside it`,
    );
  if (isInside(source, target))
    throw new RefusalError(
      `source ${source} is inside target ${target}; choose folders that do not contain each other`,
    );
  return {
    source,
    target,
    targetGiven: path.resolve(targetArg),
    targetExists,
    key: pairKey(source, target),
  };
}

/**
 * A local target folder as given: its real path, or where it will be made (its parent must
 * exist, and a link there must lead somewhere); refused where it is not a folder.
 */
export function resolveTarget(targetArg: string): { target: string; targetExists: boolean } {
  let target: string;
  let targetExists = true;
  try {
    target = fs.realpathSync(targetArg);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new RefusalError(
        `cannot open target ${targetArg}: ${(e as NodeJS.ErrnoException).code}`,
      );
    const link = readLinkOrNull(path.resolve(targetArg));
    if (link !== null)
      throw new RefusalError(
        `the target ${targetArg} is a link to ${link}, which does not exist; connect or create that folder first, or name another target`,
      );
    // A target that does not exist yet is created by the sync; its parent must exist.
    const parent = path.dirname(path.resolve(targetArg));
    let realParent: string;
    try {
      realParent = fs.realpathSync(parent);
    } catch {
      throw new RefusalError(`the folder that should hold the target does not exist: ${parent}`);
    }
    target = path.join(realParent, path.basename(path.resolve(targetArg)));
    targetExists = false;
  }
  if (targetExists && !fs.statSync(target).isDirectory())
    throw new RefusalError(`target is not a folder: ${targetArg}`);
  return { target, targetExists };
}

/**
 * A folder argument as an address on another machine (`host:path`, `ssh://…`), or null where it
 * is a local path: an absolute one, one that exists (colon or not), or one that is no address
 * (resolvePair then says what is wrong with it as a path).
 */
export function remoteTargetOf(arg: string): RemoteLocation | null {
  if (path.isAbsolute(arg) || fs.existsSync(arg)) return null;
  try {
    const where = parseLocation(arg);
    return where.kind === 'remote' ? where : null;
  } catch {
    return null;
  }
}

/**
 * A pair's key (its index file's name, its marker's entry): of the source's real path and the
 * target's (or, for a remote target, its address as written back by formatLocation).
 */
export function pairKey(source: string, target: string): string {
  return crypto.createHash('sha256').update(`${source}\0${target}`).digest('hex').slice(0, 20);
}

function readLinkOrNull(p: string): string | null {
  try {
    return fs.readlinkSync(p);
  } catch {
    return null;
  }
}

export interface OpenPairOptions {
  /**
   * confirm a target that is not provably the folder this pair last synced (a link that leads
   * elsewhere now, a missing target, its marker gone, another device); only a sync records it
   */
  confirmTarget?: boolean;
  /** create the target folder if missing (sync); diff leaves the disk alone */
  createTarget?: boolean;
  home?: string;
}

export interface OpenPair extends PairPaths {
  stateDir: string;
  /** the one door to the target: every target write goes through it */
  targetFs: TargetFs;
  index: IdentifierIndex;
  recovery: RecoveryReport;
  nameRules: NameRules;
  mtimeGranularityMs: number;
  close(): void;
}

/** Where a pair's index lives in Tandem's state folder. */
export function indexFileOf(home: string, key: string): string {
  return path.join(home, 'pairs', `${key}.sqlite`);
}

export async function openPair(paths: PairPaths, opts: OpenPairOptions = {}): Promise<OpenPair> {
  const home = opts.home ?? tandemHome();
  const indexFile = indexFileOf(home, paths.key);
  let index: IdentifierIndex | null = null;
  let release: (() => void) | null = null;
  try {
    const stateDir = path.join(paths.target, STATE_DIR);
    const t = new NodeTargetFs(paths.target);
    // Refused before anything is created, from what Tandem's state folder says about the pair (its
    // index read-only: the lock, and so the index, can only be had once `.tandem` exists).
    const recordFile = targetRecordFile(home, paths.source, paths.targetGiven);
    const record = readTargetRecord(recordFile);
    checkTarget(
      paths,
      opts,
      IdentifierIndex.peekMeta(indexFile, HISTORY) ?? new Map(),
      record,
      paths.targetExists ? readMarker(t) : null,
      paths.targetExists ? String(fs.statSync(paths.target).dev) : null,
    );
    let targetExists = paths.targetExists;
    if (!targetExists && opts.createTarget) {
      fs.mkdirSync(paths.target, { recursive: true });
      targetExists = true;
    }
    let recovery: RecoveryReport = { rolledBack: [], discarded: [], problems: [] };
    let nameRules: NameRules = { foldCase: false, normalizeUnicode: false };
    let gran = 1;
    if (targetExists) {
      const dev = String(fs.statSync(paths.target).dev);
      const writable = opts.createTarget !== false;
      if (ensureStateDir(t, STATE_DIR, writable)) {
        release = acquirePairLock(t);
      }
      // Opened only with the lock held (where there is a lock to hold): a second process then
      // stops at "pair busy" instead of waiting on, or failing at, the holder's transactions.
      index = new IdentifierIndex(indexFile);
      // Checked again under the lock, from the index itself: the look before may have found no
      // index, or been unable to read it. Only a sync confirms a changed target; diff never does.
      const marker = readMarker(t);
      const moved = checkTarget(paths, opts, indexMeta(index), record, marker, dev);
      if (release && (writable || !moved)) {
        if (moved) {
          // Forgets the target's rows and with them its baseline: all its data counts as unknown.
          index.forgetSide('target');
        }
        if (!marker?.pairs[paths.key])
          writeMarker(t, markerWith(marker, paths.key, paths.source, Date.now()));
        if (writable && record?.resolved !== paths.target) {
          writeTargetRecord(recordFile, {
            source: paths.source,
            given: paths.targetGiven,
            resolved: paths.target,
            updated: Date.now(),
          });
        }
        index.setMeta('targetDev', dev);
      }
      if (release) {
        recovery = await recoverJournals(t);
        clearTemp(t);
        const probed = probeTarget(t, index);
        nameRules = probed.rules;
        gran = probed.granularityMs;
      }
    }
    index ??= new IdentifierIndex(indexFile);
    const rel = release;
    const idx = index;
    return {
      ...paths,
      targetExists,
      stateDir,
      targetFs: t,
      index: idx,
      recovery,
      nameRules,
      mtimeGranularityMs: gran,
      close() {
        rel?.();
        idx.close();
      },
    };
  } catch (e) {
    index?.close();
    release?.();
    if (e instanceof StateFolderError) throw new RefusalError(e.message);
    throw e;
  }
}

const HISTORY = ['synced', 'targetDev'] as const;

function indexMeta(index: IdentifierIndex): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of HISTORY) {
    const v = index.getMeta(k);
    if (v !== undefined) m.set(k, v);
  }
  return m;
}

/**
 * Whether the target is not (provably) the folder this pair last synced; throws
 * TargetChangedError unless the person confirmed it. `dev` is null for a missing target.
 */
function checkTarget(
  paths: PairPaths,
  opts: OpenPairOptions,
  history: Map<string, string>,
  record: TargetRecord | null,
  marker: Marker | null,
  dev: string | null,
): boolean {
  const { moved, problem } = judgeTarget({
    key: paths.key,
    source: paths.source,
    given: paths.targetGiven,
    target: paths.target,
    synced: history.get('synced') === '1',
    lastDev: history.get('targetDev'),
    record,
    marker,
    dev,
  });
  if (problem && !opts.confirmTarget) throw new TargetChangedError(problem);
  return moved;
}

/** The marker, read through the door (a `.tandem` that is a link yields none, never its target's). */
function readMarker(t: TargetFs): Marker | null {
  try {
    return parseMarker(readTargetFile(t, `${STATE_DIR}/pair.json`).toString('utf8'));
  } catch {
    return null;
  }
}

function writeMarker(t: TargetFs, m: Marker): void {
  writeStateFile(t, `${STATE_DIR}/pair.json`, JSON.stringify(m, null, 2));
}

/**
 * Whether the target can hold a name that is not valid UTF-8 (ext4, btrfs, xfs, zfs can; APFS,
 * exFAT, vfat with utf8 and SMB shares refuse it with EILSEQ or EINVAL, some with another code).
 */
export function holdsRawBytes(t: TargetFs, dir: string): boolean {
  const name = `${dir}/raw-\udcff`; // the byte 0xFF (byteNames.ts)
  try {
    t.create(name, 0o600).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return true;
    return false;
  }
  // A filesystem that took the name but stored something else cannot hold it either.
  return t.readdir(dir).includes(name.slice(dir.length + 1));
}

/** How the target treats names and mtimes, probed once per pair and remembered in its index. */
function probeTarget(
  t: TargetFs,
  index: IdentifierIndex,
): { rules: NameRules; granularityMs: number } {
  const cached = index.getMeta('probe');
  if (cached) {
    const probed = JSON.parse(cached) as { rules: NameRules; granularityMs: number };
    // Probes recorded before names were bytes lack textOnly: probed again, once.
    if (probed.rules.textOnly !== undefined) return probed;
  }
  const dir = `${STATE_DIR}/probe`;
  removeTree(t, dir);
  t.mkdir(dir, 0o700);
  const touch = (name: string): void => t.create(`${dir}/${name}`, 0o600).close();
  try {
    touch('Aa');
    const foldCase = t.lstat(`${dir}/aA`) !== null;
    const nfc = 'caf\u00e9';
    touch(nfc);
    const normalizeUnicode = t.lstat(`${dir}/${nfc.normalize('NFD')}`) !== null;
    touch('t');
    const want = 1_600_000_000_123.457; // ms with a sub-ms part
    t.setMtime(`${dir}/t`, want);
    const got = t.lstat(`${dir}/t`)!.mtimeMs;
    const diff = Math.abs(got - want);
    const granularityMs = diff < 1 ? 1 : diff < 1000 ? 1000 : 2000;
    const probed = {
      rules: { foldCase, normalizeUnicode, textOnly: !holdsRawBytes(t, dir) },
      granularityMs,
    };
    index.setMeta('probe', JSON.stringify(probed));
    return probed;
  } finally {
    removeTree(t, dir);
  }
}
