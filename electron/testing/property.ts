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
  /**
   * Whether the run is wide enough to check what its generator produced (a share of the cases
   * taking a path, every kind of change seen): `min` cases or more, and not the replay of one
   * shrunk case. A replay of a few cases is then not failed by a count it cannot reach.
   */
  wide(min: number): boolean;
}

function whole(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`${name} must be a whole number (got '${v}')`);
  return n;
}

export function propertyRun(defaultRuns: number, opts: { max?: number } = {}): PropertyRun {
  const runs = Math.max(
    1,
    Math.min(opts.max ?? Infinity, whole('TANDEM_PROPERTY_RUNS', defaultRuns)),
  );
  const seed = whole('TANDEM_PROPERTY_SEED', Math.floor(Math.random() * 2 ** 31));
  const path = process.env.TANDEM_PROPERTY_PATH || undefined;
  return {
    runs,
    seed,
    path,
    params: { numRuns: runs, seed, ...(path ? { path } : {}) },
    banner: (name) =>
      `${name}: seed ${seed}, ${runs} cases (replay with TANDEM_PROPERTY_SEED=${seed})`,
    wide: (min) => runs >= min && path === undefined,
  };
}
