// The registry of pairs and service settings, in TANDEM_HOME/pairs.json, shared by the desktop
// app, the daemon and `tandem watch`. Written atomically (temp file + rename).
import fs from 'node:fs';
import path from 'node:path';
import type {
  AddPairInput,
  PairConfig,
  PairSettings,
  ServiceSettings,
} from '../../shared/syncApi.js';
import { DEFAULT_POLICY } from '../../shared/syncApi.js';
import { DEFAULT_SCHEME, normalizeScheme } from '../core/hash/hashScheme.js';
import { RefusalError, resolvePair } from '../pair/pair.js';
import { DEFAULT_RETENTION_DAYS } from '../core/target/versionStore.js';

interface RegistryFile {
  version: 1;
  pairs: PairConfig[];
  settings: ServiceSettings;
}

export const DEFAULT_SETTINGS: PairSettings = {
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
  return out;
}

export class PairRegistry {
  private data: RegistryFile;

  constructor(private readonly home: string) {
    this.data = this.read();
  }

  private get file(): string {
    return path.join(this.home, 'pairs.json');
  }

  private read(): RegistryFile {
    try {
      const d = JSON.parse(fs.readFileSync(this.file, 'utf8')) as RegistryFile;
      return {
        version: 1,
        pairs: d.pairs ?? [],
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

  add(input: AddPairInput): PairConfig {
    const paths = resolvePair(input.source, input.target);
    const existing = this.data.pairs.find((p) => p.id === paths.key);
    if (existing) return { ...existing };
    for (const p of this.data.pairs) {
      if (p.target === paths.target)
        throw new RefusalError(
          `${paths.target} is already the target of another pair (from ${p.source})`,
        );
      if (p.target === paths.source)
        throw new RefusalError(
          `${paths.source} is the target of another pair; syncing it onwards would chain the pairs`,
        );
    }
    const { source: _s, target: _t, ...settings } = input;
    const pair: PairConfig = {
      ...DEFAULT_SETTINGS,
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
