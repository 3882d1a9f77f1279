// A property test's size and seed, from the environment, and how to replay a failure:
// TANDEM_PROPERTY_RUNS (cases), TANDEM_PROPERTY_SEED (else a random seed, printed before the run)
// and TANDEM_PROPERTY_PATH (fast-check's path of one shrunk case).

export interface PropertyRun {
  readonly runs: number;
  readonly seed: number;
  readonly path: string | undefined;
  /** fast-check's parameters for this run */
  readonly params: { numRuns: number; seed: number; path?: string };
  /** the line a test prints before it runs: its seed, its size, and how to run it again */
  banner(name: string): string;
}

export function propertyRun(defaultRuns: number, opts: { max?: number } = {}): PropertyRun {
  const env = process.env;
  const asked = Number(env.TANDEM_PROPERTY_RUNS ?? defaultRuns);
  const runs = Math.max(1, Math.floor(Math.min(opts.max ?? Infinity, asked)));
  const seed = env.TANDEM_PROPERTY_SEED
    ? Number(env.TANDEM_PROPERTY_SEED)
    : Math.floor(Math.random() * 2 ** 31);
  const path = env.TANDEM_PROPERTY_PATH || undefined;
  return {
    runs,
    seed,
    path,
    params: { numRuns: runs, seed, ...(path ? { path } : {}) },
    banner: (name) =>
      `${name}: seed ${seed}, ${runs} cases (replay with TANDEM_PROPERTY_SEED=${seed})`,
  };
}
