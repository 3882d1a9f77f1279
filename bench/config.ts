// Benchmark settings from the environment and argv (BENCH_RUNS, BENCH_SCALE, BENCH_COLD,
// BENCH_DIR, BENCH_TANDEM, --only; bench:scale's BENCH_SCALE_FILES and BENCH_SCALE_MILLION), and
// the tools compared, each with its command line.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = ['a', 'b', 'c', 'd'] as const;
export type ScenarioId = (typeof SCENARIOS)[number];

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  a: 'a: 1 big file, 3×4 KiB changed',
  b: 'b: small files, some changed',
  c: 'c: small files, no change',
  d: 'd: small files, first copy',
};

export interface BenchConfig {
  runs: number;
  scale: number;
  only: ReadonlySet<ScenarioId>;
  cold: boolean;
  /** Folder under which the run's data folder is created (and removed at the end). */
  baseDir: string;
  tandemBin: string;
  repoRoot: string;
}

export class ConfigError extends Error {}

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function positive(
  name: string,
  text: string | undefined,
  fallback: number,
  integer: boolean,
): number {
  if (text === undefined || text.trim() === '') return fallback;
  const v = Number(text);
  if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new ConfigError(
      `${name} must be a positive ${integer ? 'integer' : 'number'}, got '${text}'`,
    );
  }
  return v;
}

/** Parses `--only a,b` / `--only=a,b` into scenario ids; all scenarios when absent. */
export function parseOnly(argv: readonly string[]): Set<ScenarioId> {
  let spec: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--only') {
      spec = argv[i + 1];
      if (spec === undefined) throw new ConfigError('--only needs a list such as a,b');
      i++;
    } else if (a.startsWith('--only=')) {
      spec = a.slice('--only='.length);
    } else {
      throw new ConfigError(`unknown argument '${a}' (usage: bench/run.ts [--only a,b,c,d])`);
    }
  }
  if (spec === undefined) return new Set(SCENARIOS);
  const out = new Set<ScenarioId>();
  for (const part of spec.split(',').map((p) => p.trim().toLowerCase())) {
    if (part === '') continue;
    if (!(SCENARIOS as readonly string[]).includes(part))
      throw new ConfigError(`unknown scenario '${part}'; use a, b, c, d`);
    out.add(part as ScenarioId);
  }
  if (out.size === 0) throw new ConfigError('--only selects no scenario');
  return out;
}

export function parseConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  repoRoot = REPO_ROOT,
): BenchConfig {
  const scale = positive('BENCH_SCALE', env.BENCH_SCALE, 1, false);
  if (scale > 4) throw new ConfigError(`BENCH_SCALE above 4 is not supported, got ${scale}`);
  return {
    runs: positive('BENCH_RUNS', env.BENCH_RUNS, 3, true),
    scale,
    only: parseOnly(argv),
    cold: env.BENCH_COLD === '1',
    baseDir: env.BENCH_DIR ? resolve(env.BENCH_DIR) : join(repoRoot, '.bench-data'),
    tandemBin: env.BENCH_TANDEM ? resolve(env.BENCH_TANDEM) : join(repoRoot, 'bin', 'tandem.js'),
    repoRoot,
  };
}

/** The 1,000,000-file live pair: minutes to write, about 13 GB on disk for both sides. */
export const MILLION = 1_000_000;

/**
 * bench:scale's tree sizes, smallest first: BENCH_SCALE_FILES (a list such as 20000,100000), else
 * 20,000 and 100,000; BENCH_SCALE_MILLION=1 adds 1,000,000.
 */
export function parseScaleSizes(env: NodeJS.ProcessEnv): number[] {
  const list = env.BENCH_SCALE_FILES?.trim()
    ? env.BENCH_SCALE_FILES.split(',').map((part) =>
        positive('BENCH_SCALE_FILES', part.replace(/_/g, ''), NaN, true),
      )
    : [20_000, 100_000];
  if (list.some((n) => Number.isNaN(n)))
    throw new ConfigError(`BENCH_SCALE_FILES has an empty entry: '${env.BENCH_SCALE_FILES}'`);
  if (env.BENCH_SCALE_MILLION === '1') list.push(MILLION);
  return [...new Set(list)].sort((a, b) => a - b);
}

export type ToolId = 'tandem' | 'rsync-inplace' | 'rsync' | 'rsync-c' | 'cp';

export interface Tool {
  id: ToolId;
  label: string;
  /** The command that makes `target` a copy of `source` (both existing folders). */
  argv(source: string, target: string): string[];
  /** Why the tool cannot run here, or null when it can. */
  missing(): string | null;
}

export function makeTools(cfg: BenchConfig, has: (cmd: string) => boolean): Tool[] {
  const rsync = (id: ToolId, label: string, flags: string[]): Tool => ({
    id,
    label,
    argv: (s, t) => ['rsync', ...flags, `${s}/`, `${t}/`],
    missing: () => (has('rsync') ? null : 'skipped (not installed)'),
  });
  return [
    {
      id: 'tandem',
      label: 'tandem sync --yes',
      argv: (s, t) => [process.execPath, cfg.tandemBin, 'sync', s, t, '--yes'],
      missing: () => {
        if (!existsSync(cfg.tandemBin)) return `skipped (not installed: no ${cfg.tandemBin})`;
        // bin/tandem.js loads the compiled CLI; without a build it can only say so.
        const built = join(cfg.repoRoot, 'dist', 'electron', 'cli', 'main.js');
        const isDefault = cfg.tandemBin === join(cfg.repoRoot, 'bin', 'tandem.js');
        return isDefault && !existsSync(built) ? 'skipped (not built: run npm run build)' : null;
      },
    },
    rsync('rsync-inplace', 'rsync -a --inplace --no-whole-file', [
      '-a',
      '--inplace',
      '--no-whole-file',
    ]),
    rsync('rsync', 'rsync -a', ['-a']),
    rsync('rsync-c', 'rsync -a -c', ['-a', '-c']),
    {
      id: 'cp',
      label: 'cp -a',
      argv: (s, t) => ['cp', '-a', `${s}/.`, `${t}/`],
      missing: () => (has('cp') ? null : 'skipped (not installed)'),
    },
  ];
}

/** The reference tool of each scenario, for the ratio column. */
export const REFERENCE: Record<ScenarioId, ToolId> = {
  a: 'rsync-inplace',
  b: 'rsync',
  c: 'rsync',
  d: 'rsync',
};
