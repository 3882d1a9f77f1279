// `--log-level` for `tandem serve` and `tandem watch`: checked before anything starts.
import { describe, expect, it } from 'vitest';
import { runCli } from './main.js';
import type { ProgressBar } from './progressBar.js';

async function run(argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const code = await runCli(argv, {
    out: () => undefined,
    err: (s) => err.push(s),
    ask: null,
    progress: { update: () => undefined, clear: () => undefined } as unknown as ProgressBar,
  });
  return { code, err: err.join('\n') };
}

describe('--log-level', () => {
  it.each([
    [['serve', '--log-level', 'loud']],
    [['watch', '/nonexistent-a', '/nonexistent-b', '--log-level', 'verbose']],
  ])('refuses a level that does not exist: %j', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /--log-level takes one of fatal, error, warn, info, debug, trace, silent \(got \w+\)/,
    );
  });

  it('belongs to serve and watch only', async () => {
    const r = await run(['sync', '/a', '/b', '--log-level', 'debug']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--log-level belongs to serve and watch/);
  });
});
