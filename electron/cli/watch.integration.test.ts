// `tandem watch` as a user runs it: a child process that keeps a pair in sync until Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const BIN = path.resolve(import.meta.dirname, '../../bin/tandem.js');
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-watch-cli-'));
  fs.mkdirSync(path.join(dir, 'src'));
  fs.writeFileSync(path.join(dir, 'src', 'a.txt'), 'first');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function waitFor(pred: () => boolean, ms: number, what: string): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const read = (p: string): string | null => (fs.existsSync(p) ? fs.readFileSync(p, 'utf8') : null);

/** `tandem watch --auto src dst` as a child process, its stdout and stderr gathered together. */
function startWatch(): {
  child: ReturnType<typeof spawn>;
  exited: Promise<number | null>;
  output: () => string;
} {
  const child = spawn(
    process.execPath,
    [BIN, 'watch', path.join(dir, 'src'), path.join(dir, 'dst'), '--auto'],
    {
      env: { ...process.env, TANDEM_HOME: path.join(dir, 'home') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('tandem watch', () => {
  it('with --auto keeps the target in sync as files change, prints status lines, and stops cleanly on SIGINT', async () => {
    const { child, exited, output } = startWatch();
    try {
      await waitFor(
        () => read(path.join(dir, 'dst', 'a.txt')) === 'first',
        15_000,
        'the first sync',
      );
      fs.writeFileSync(path.join(dir, 'src', 'b.txt'), 'second');
      await waitFor(
        () => read(path.join(dir, 'dst', 'b.txt')) === 'second',
        15_000,
        'the new file',
      );
      fs.writeFileSync(path.join(dir, 'dst', 'a.txt'), 'edited on the target');
      fs.writeFileSync(path.join(dir, 'src', 'a.txt'), 'edited on the source');
      await waitFor(() => /needs a person/.test(output()), 15_000, 'the conflict to be reported');
      expect(read(path.join(dir, 'dst', 'a.txt'))).toBe('edited on the target');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output()).toMatch(/watching .*src -> .*dst/);
    expect(output()).toMatch(/applied 1 change/);
    expect(output()).toMatch(/stopped/);
  });

  it('says "watching: in sync" once, when a scan begun with the watcher up finds the pair in sync', async () => {
    const { child, exited, output } = startWatch();
    try {
      await waitFor(() => /watching: in sync/.test(output()), 15_000, 'the ready line');
      // It is said after the first copy, never before: the pair is in sync when it says so.
      expect(read(path.join(dir, 'dst', 'a.txt'))).toBe('first');
      expect(output().indexOf('applied 1 change')).toBeGreaterThan(-1);
      expect(output().indexOf('watching: in sync')).toBeGreaterThan(
        output().indexOf('applied 1 change'),
      );
      fs.writeFileSync(path.join(dir, 'src', 'b.txt'), 'second');
      await waitFor(
        () => read(path.join(dir, 'dst', 'b.txt')) === 'second',
        15_000,
        'the new file',
      );
      await waitFor(() => /applied 1 change/.test(output()), 15_000, 'the applied line');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(output().match(/watching: /g)).toHaveLength(1);
  });

  it('refuses bad folders with exit 2 and one line', async () => {
    const child = spawn(
      process.execPath,
      [BIN, 'watch', path.join(dir, 'missing'), path.join(dir, 'dst')],
      {
        env: { ...process.env, TANDEM_HOME: path.join(dir, 'home') },
      },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toEqual([
      expect.stringMatching(/^tandem: source folder not found/),
    ]);
  });
});
