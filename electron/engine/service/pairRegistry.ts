// The registry of pairs and service settings, in TANDEM_HOME/pairs.json, shared by the desktop
// app, the daemon and `tandem watch`. Written atomically (temp file + rename).
import fs from 'node:fs';
import path from 'node:path';
import type {
  AddPairInput,
  FidelitySettings,
  PairConfig,
  PairSettings,
  ServiceSettings,
} from '../../shared/syncApi.js';
import { DEFAULT_POLICY, FIDELITY_KEYS } from '../../shared/syncApi.js';
import { DEFAULT_SCHEME, normalizeScheme } from '../core/hash/hashScheme.js';
import {
  pairKey,
  RefusalError,
  remoteTargetOf,
  resolvePair,
  resolveTarget,
  resolveSource,
  type PairPaths,
} from '../pair/pair.js';
import { formatLocation, type RemoteLocation } from '../../shared/remoteAddress.js';

import { splitCommand } from '../../shared/command.js';
import { DEFAULT_RETENTION_DAYS } from '../core/target/versionStore.js';
import { xattrModule } from '../core/scan/xattrs.js';
import { rememberedOptions } from '../pair/syncSession.js';

/** What the registry's file holds per pair: pairs written before the fidelity settings lack them. */
type StoredPair = Omit<PairConfig, keyof FidelitySettings> & Partial<FidelitySettings>;

interface RegistryFile {
  version: 1;
  pairs: StoredPair[];
  settings: ServiceSettings;
}

/**
 * A pair made in the app keeps everything Tandem can keep: a mirror is often someone's only other
 * copy, and an attribute, an ACL or a hard link lost on the way is found missing only on the day
 * the copy is needed. Owners too: they take effect only where the service runs as root, and
 * elsewhere cost one notice on the pair when an entry's owner differs. Attributes and ACLs only
 * where this platform can read them (the session refuses -X/-A elsewhere).
 */
export function newPairFidelity(): FidelitySettings {
  const attrs = xattrModule() !== null;
  return { xattrs: attrs, acls: attrs, hardLinks: true, owners: true };
}

/**
 * A pair without these settings (registered before they existed, or by `tandem watch`) keeps
 * what it did: what its index remembers from its last session, set only by the CLI's flags, so
 * off for a pair the app alone has run.
 */
export function rememberedFidelity(home: string, pairId: string): FidelitySettings {
  const r = rememberedOptions(home, pairId);
  return { ...r.xattrs, hardLinks: r.hardLinks, owners: r.owners };
}

export const DEFAULT_SETTINGS: Omit<PairSettings, keyof FidelitySettings> = {
  scheme: DEFAULT_SCHEME,
  ignore: [],
  schedule: { kind: 'onChange' },
  policy: DEFAULT_POLICY,
  retentionDays: DEFAULT_RETENTION_DAYS,
  scrubDays: 0,
  noDeletes: false,
};

/** Checks a settings patch; throws RefusalError with a sentence for the user. */
export function validateSettings(s: Partial<PairSettings>): Partial<PairSettings> {
  const out: Partial<PairSettings> = { ...s };
  if (s.scheme !== undefined) out.scheme = normalizeScheme(s.scheme);
  if (
    s.schedule?.kind === 'interval' &&
    !(s.schedule.minutes >= 1 && s.schedule.minutes <= 7 * 24 * 60)
  ) {
    throw new RefusalError('a schedule interval must be between 1 minute and 7 days');
  }
  if (s.retentionDays !== undefined && !(s.retentionDays >= 0 && s.retentionDays <= 3650)) {
    throw new RefusalError('version retention must be between 0 and 3650 days');
  }
  if (s.scrubDays !== undefined && !(s.scrubDays >= 0 && s.scrubDays <= 365)) {
    throw new RefusalError('the scrub interval must be between 0 (never) and 365 days');
  }
  if (s.policy && !(s.policy.maxAutoDeletes >= 0))
    throw new RefusalError('the deletion limit cannot be negative');
  if (s.ignore && !s.ignore.every((p) => typeof p === 'string'))
    throw new RefusalError('ignore patterns must be text');
  for (const k of FIDELITY_KEYS)
    if (s[k] !== undefined && typeof s[k] !== 'boolean')
      throw new RefusalError(`${k} must be true or false`);
  for (const k of ['rsh', 'remoteTandem'] as const)
    if (s[k] !== undefined && (typeof s[k] !== 'string' || /[\n\0]/.test(s[k])))
      throw new RefusalError(`${k} must be one line of text`);
  // The settings come over the app's API: they may name ssh and its options, and the far side's
  // tandem as a path, never another program or a command for the far side's shell (the CLI's -e
  // and --remote-tandem are the person's own command line, and take anything).
  if (s.rsh) {
    let argv: string[];
    try {
      argv = splitCommand(s.rsh);
    } catch (e) {
      throw new RefusalError(`the ssh command: ${(e as Error).message}`);
    }
    if (!/(^|\/)ssh$/.test(argv[0]!))
      throw new RefusalError(`the ssh command must run ssh (got ${argv[0]})`);
  }
  if (s.remoteTandem !== undefined && !/^[\w./~+-]+$/.test(s.remoteTandem))
    throw new RefusalError(
      `the far side's tandem must be a path of letters, digits and . / ~ + - _ (got ${s.remoteTandem})`,
    );
  if (s.mode !== undefined && s.mode !== 'mirror' && s.mode !== 'twoWay')
    throw new RefusalError(`a pair's mode is mirror or twoWay (got ${String(s.mode)})`);
  if ((s.xattrs || s.acls) && !xattrModule())
    throw new RefusalError(
      'extended attributes and ACLs cannot be read on this platform; leave them off',
    );
  return out;
}

/**
 * Whether a stored target is a folder on another machine: the registry stores a local target as
 * its absolute real path and a remote one as its address (formatLocation), never absolute.
 */
export function isRemoteTarget(target: string): boolean {
  return !path.isAbsolute(target);
}

/** Whether a stored source is a folder on another machine (the same rule as isRemoteTarget). */
export const isRemoteSource = isRemoteTarget;

/**
 * A pair with its source on another machine: the source as given, the target resolved here. The
 * same key as the CLI's pull (remoteSourceSession.ts): one index for both.
 */
export function remoteSourcePair(where: RemoteLocation, targetArg: string): PairPaths {
  const source = formatLocation(where);
  const { target, targetExists } = resolveTarget(targetArg);
  return { source, target, targetGiven: target, targetExists, key: pairKey(source, target) };
}

/** A pair with its target on another machine: the source resolved here, the target as given. */
export function remotePair(sourceArg: string, where: RemoteLocation): PairPaths {
  const source = resolveSource(sourceArg);
  const target = formatLocation(where);
  // The same key as the CLI's remote session (remoteSession.ts): one index for both.
  return { source, target, targetGiven: target, targetExists: true, key: pairKey(source, target) };
}

/**
 * A pair's folders as given (typed, dropped, an address): resolved here where local, kept as
 * their address where on another machine (the source, a pull; or the target). One folder of a
 * pair must be on this machine.
 */
export function pairPathsOf(
  source: string,
  target: string,
): { paths: PairPaths; remote: RemoteLocation | null; remoteSource: boolean } {
  const remoteSource = remoteTargetOf(source);
  const remoteTarget = remoteTargetOf(target);
  if (remoteSource && remoteTarget)
    throw new RefusalError(
      `${source} and ${target} are both on other machines; one folder of a pair must be on this one`,
    );
  const paths = remoteSource
    ? remoteSourcePair(remoteSource, target)
    : remoteTarget
      ? remotePair(source, remoteTarget)
      : resolvePair(source, target);
  return { paths, remote: remoteSource ?? remoteTarget, remoteSource: remoteSource !== null };
}

/** What a pair with a folder on another machine cannot keep yet (-X and -A it can). */
const REMOTE_UNKEPT = ['hardLinks', 'owners'] as const;

const NO_FIDELITY = { xattrs: false, acls: false, hardLinks: false, owners: false };

export class PairRegistry {
  private data: { version: 1; pairs: PairConfig[]; settings: ServiceSettings };

  constructor(private readonly home: string) {
    this.data = this.read();
  }

  private get file(): string {
    return path.join(this.home, 'pairs.json');
  }

  private read(): PairRegistry['data'] {
    try {
      const d = JSON.parse(fs.readFileSync(this.file, 'utf8')) as RegistryFile;
      return {
        version: 1,
        pairs: (d.pairs ?? []).map((p) => this.complete(p)),
        settings: { ...{ pausedAll: false }, ...d.settings },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        return { version: 1, pairs: [], settings: { pausedAll: false } };
      throw new Error(
        `cannot read the pair registry ${this.file}: ${(e as Error).message}; fix or move it aside`,
        { cause: e },
      );
    }
  }

  private write(): void {
    fs.mkdirSync(this.home, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    fs.renameSync(tmp, this.file);
  }

  /** A stored pair with every setting: missing fidelity settings as the pair last used them. */
  private complete(p: StoredPair): PairConfig {
    if (FIDELITY_KEYS.every((k) => typeof p[k] === 'boolean')) return p as PairConfig;
    return { ...rememberedFidelity(this.home, p.id), ...p } as PairConfig;
  }

  /** Rereads the file (another process may have changed it). */
  reload(): void {
    this.data = this.read();
  }

  list(): PairConfig[] {
    return this.data.pairs.map((p) => ({ ...p }));
  }

  get(id: string): PairConfig | undefined {
    return this.data.pairs.find((p) => p.id === id);
  }

  /**
   * Registers a pair, or returns the one registered for these folders. Settings the input leaves
   * out are the app's defaults for a new pair, or with `fidelity: 'remembered'` (`tandem watch`)
   * what the pair's index remembers from the CLI, so watching keeps what `tandem sync -X` set.
   */
  add(input: AddPairInput, fidelity: 'newPair' | 'remembered' = 'newPair'): PairConfig {
    const { paths, remote, remoteSource } = pairPathsOf(input.source, input.target);
    if (remote && REMOTE_UNKEPT.some((k) => input[k]))
      throw new RefusalError(
        `hard links and owners are not yet kept for a folder on another machine (${remote.host}); leave them off`,
      );
    const twoWay = input.mode === 'twoWay';
    if (twoWay && remote)
      throw new RefusalError(
        `a two-way pair is of two local folders in this version, and ${remoteSource ? input.source : input.target} is on ${remote.host}`,
      );
    if (twoWay && FIDELITY_KEYS.some((k) => input[k]))
      throw new RefusalError(
        'extended attributes, ACLs, hard links and owners are not yet kept by two-way pairs; leave them off',
      );
    const existing = this.data.pairs.find((p) => p.id === paths.key);
    if (existing) return { ...existing };
    // A two-way pair writes both of its folders: each counts as a target, of it and of any other.
    const written = (p: PairConfig) => (p.mode === 'twoWay' ? [p.target, p.source] : [p.target]);
    const mine = twoWay ? [paths.target, paths.source] : [paths.target];
    for (const p of this.data.pairs) {
      for (const t of written(p)) {
        if (mine.includes(t))
          throw new RefusalError(
            `${t} is already written by another pair (${p.source} → ${p.target}); a folder can be the target of one pair only`,
          );
        if (t === paths.source)
          throw new RefusalError(
            `${paths.source} is the target of another pair; syncing it onwards would chain the pairs`,
          );
      }
      if (twoWay && mine.includes(p.source) && p.mode !== 'twoWay')
        throw new RefusalError(
          `${p.source} is the source of another pair; a two-way pair would write into it`,
        );
    }
    const { source: _s, target: _t, ...settings } = input;
    const pair: PairConfig = {
      ...DEFAULT_SETTINGS,
      ...(remote || twoWay
        ? NO_FIDELITY
        : fidelity === 'newPair'
          ? newPairFidelity()
          : rememberedFidelity(this.home, paths.key)),
      ...validateSettings(settings),
      id: paths.key,
      source: paths.source,
      target: paths.target,
      paused: false,
      createdAt: Date.now(),
    };
    this.data.pairs.push(pair);
    this.write();
    return { ...pair };
  }

  update(id: string, patch: Partial<PairSettings & { paused: boolean }>): PairConfig {
    const i = this.data.pairs.findIndex((p) => p.id === id);
    if (i < 0) throw new RefusalError(`no pair with id ${id}`);
    const next = { ...this.data.pairs[i]!, ...validateSettings(patch) };
    if (next.mode === 'twoWay') {
      for (const f of [next.source, next.target])
        if (isRemoteTarget(f))
          throw new RefusalError(
            `a two-way pair is of two local folders in this version, and ${f} is on another machine`,
          );
      // Not kept by two-way pairs yet: a pair made two-way stops asking for them.
      Object.assign(next, NO_FIDELITY);
    }
    if (
      (isRemoteTarget(next.source) || isRemoteTarget(next.target)) &&
      REMOTE_UNKEPT.some((k) => patch[k])
    )
      throw new RefusalError(
        'hard links and owners are not yet kept for a folder on another machine; leave them off',
      );
    if (patch.paused !== undefined) next.paused = patch.paused;
    this.data.pairs[i] = next;
    this.write();
    return { ...next };
  }

  remove(id: string): boolean {
    const before = this.data.pairs.length;
    this.data.pairs = this.data.pairs.filter((p) => p.id !== id);
    if (this.data.pairs.length === before) return false;
    this.write();
    return true;
  }

  settings(): ServiceSettings {
    return { ...this.data.settings };
  }

  updateSettings(patch: Partial<ServiceSettings>): ServiceSettings {
    this.data.settings = { ...this.data.settings, ...patch };
    this.write();
    return this.settings();
  }
}
