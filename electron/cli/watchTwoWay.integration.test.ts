// `tandem watch --two-way A B --auto` with the real watcher on both folders (issue 13): edits on
// each side reach the other, Tandem's own writes never come back as changes, and a file edited on
// both sides before either reached the other is one conflict, said once, with both edits kept.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI_PATH, cliEnv, cliMissingReason } from '../testing/cliRunner.js';
import { makeSandbox, writeTree, type Sandbox } from '../testing/sandbox.js';

let sb: Sandbox;
beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('watch-twoway');
});
afterEach(() => sb.cleanup());

async function waitFor(pred: () => boolean, ms: number, what: string, out: () => string) {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}; output:\n${out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
const read = (root: string, p: string): string | null => {
  const f = path.join(root, p);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : null;
};

function startWatch() {
  const child = spawn(
    process.execPath,
    [CLI_PATH, 'watch', '--two-way', sb.source, sb.target, '--auto'],
    { env: cliEnv(sb.home), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => out };
}

describe('tandem watch --two-way --auto', () => {
  it('carries edits both ways, never sends its own writes back, and makes a same-moment edit one conflict', async () => {
    const A = sb.source;
    const B = sb.target;
    writeTree(A, { 'a.txt': 'from A', docs: { 'n.md': 'notes' } });
    writeTree(B, { 'b.txt': 'from B' });
    const w = startWatch();
    const T = 30_000;
    try {
      await waitFor(() => read(B, 'a.txt') === 'from A', T, 'the first sync to B', w.output);
      await waitFor(() => read(A, 'b.txt') === 'from B', T, 'the first sync to A', w.output);
      await waitFor(() => /watching: /.test(w.output()), T, 'the ready line', w.output);

      fs.writeFileSync(path.join(A, 'docs', 'n.md'), 'notes, edited on A');
      await waitFor(() => read(B, 'docs/n.md') === 'notes, edited on A', T, 'A → B', w.output);
      fs.writeFileSync(path.join(B, 'b.txt'), 'edited on B');
      await waitFor(() => read(A, 'b.txt') === 'edited on B', T, 'B → A', w.output);
      fs.writeFileSync(path.join(B, 'new-on-B'), 'new');
      await waitFor(() => read(A, 'new-on-B') === 'new', T, 'a new file B → A', w.output);

      // Both sides, before either is carried over: one conflict, both edits kept.
      fs.writeFileSync(path.join(A, 'a.txt'), 'A wins?');
      fs.writeFileSync(path.join(B, 'a.txt'), 'B wins?');
      await waitFor(() => /conflict {2}a\.txt/.test(w.output()), T, 'the conflict', w.output);
      // One more change after it: once it is through, every cycle the conflict saw is done.
      fs.writeFileSync(path.join(A, 'later'), 'later');
      await waitFor(() => read(B, 'later') === 'later', T, 'the change after it', w.output);
    } finally {
      w.child.kill('SIGINT');
    }
    expect(await w.exited).toBe(0);
    const out = w.output();
    expect(read(A, 'a.txt')).toBe('A wins?');
    expect(read(B, 'a.txt')).toBe('B wins?');
    expect(out.match(/conflict {2}a\.txt/g)).toHaveLength(1);
    // Each change went once, one way: a write of Tandem's never came back as a change.
    expect(out.match(/A → B {2}~ docs\/n\.md/g)).toHaveLength(1);
    expect(out.match(/B → A {2}~ b\.txt/g)).toHaveLength(1);
    expect(out).not.toMatch(/B → A {2}~ docs\/n\.md/);
    expect(out).not.toMatch(/A → B {2}~ b\.txt/);
    expect(out).not.toMatch(/error:/);
  });

  it('refuses a one-way pair with one line and exit 2', async () => {
    fs.writeFileSync(path.join(sb.source, 'f'), 'x');
    const one = spawn(process.execPath, [CLI_PATH, 'sync', sb.source, sb.target, '--yes'], {
      env: cliEnv(sb.home),
    });
    expect(await new Promise((r) => one.on('exit', r))).toBe(0);
    const w = startWatch();
    expect(await w.exited).toBe(2);
    expect(w.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^tandem: .* is a one-way pair; to make it two-way/),
    ]);
  });
});
