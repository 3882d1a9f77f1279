// `tandem sync --two-way` and `tandem diff --two-way` as a person runs them (issue 13): the
// direction of every change, conflicts in text and JSON, each way of resolving them, what happens
// without a terminal, and a clear one-line refusal of what two-way pairs do not take.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cliMissingReason,
  describeRun,
  oneLineErrorProblems,
  parseJsonOutput,
  runCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { makeSandbox, putFile, writeTree, type Sandbox } from '../testing/sandbox.js';
import { diffTrees, stateOf } from '../testing/treeSnapshot.js';
import type { TwoWayPlan, TwoWayResult } from '../engine/pair/twoWaySession.js';
import { runTwoWay, type TwoWayArgs } from './twoWay.js';

let sb: Sandbox;
let A: string;
let B: string;

beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('twoway-cli');
  A = sb.source;
  B = sb.target;
});
afterEach(() => sb.cleanup());

const tandem = (...args: string[]) => runCli(args, { home: sb.home });
const read = (root: string, p: string) => fs.readFileSync(path.join(root, p), 'utf8');

function expectCode(run: CliRun, code: number) {
  expect(run.code, describeRun(run)).toBe(code);
}

/** A pair in sync, then an edit on each side and one path edited on both. */
async function editedPair() {
  writeTree(A, { shared: 'base', fromA: 'a0', fromB: 'b0' });
  expectCode(await tandem('sync', '--two-way', A, B, '--yes'), 0);
  fs.writeFileSync(path.join(A, 'fromA'), 'a1');
  fs.writeFileSync(path.join(B, 'fromB'), 'b1');
  fs.writeFileSync(path.join(A, 'shared'), 'A edit');
  fs.writeFileSync(path.join(B, 'shared'), 'B edit');
}

describe('tandem --two-way', () => {
  it('diff marks each change with its direction and lists the conflict first, writing nothing', async () => {
    await editedPair();
    const before = { a: stateOf(A), b: stateOf(B) };
    const run = await tandem('diff', '--two-way', A, B);
    expectCode(run, 1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`A: ${A}`);
    expect(lines[1]).toBe(`B: ${B}`);
    expect(lines[2]).toBe('conflict  shared: changed on both sides');
    expect(lines).toContain('A → B  ~ fromA  2 B to write');
    expect(lines).toContain('B → A  ~ fromB  2 B to write');
    expect(lines.at(-1)).toBe('1 A → B, 1 B → A, 1 conflict: 4 B to write');
    expect(stateOf(A)).toEqual(before.a);
    expect(stateOf(B)).toEqual(before.b);
  });

  it('--json carries each change with its direction and each conflict with both sides', async () => {
    await editedPair();
    const plan = parseJsonOutput<TwoWayPlan>(await tandem('diff', '--two-way', A, B, '--json'));
    expect(plan.changes.map((c) => [c.direction, c.action, c.path])).toEqual([
      ['aToB', 'update', 'fromA'],
      ['bToA', 'update', 'fromB'],
    ]);
    expect(plan.conflicts).toMatchObject([
      { path: 'shared', kind: 'bothModified', a: { size: 6 }, b: { size: 6 }, inside: [] },
    ]);
    const run = await tandem('sync', '--two-way', A, B, '--yes', '--json', '--conflict', 'keep-a');
    expectCode(run, 0);
    const out = parseJsonOutput<{ plan: TwoWayPlan; result: TwoWayResult }>(run);
    expect(out.result.resolved).toEqual([{ path: 'shared', resolution: 'keepA' }]);
    expect(read(B, 'shared')).toBe('A edit');
  });

  it('without a terminal: nothing without --yes; with --yes the one-way changes go and the conflict waits', async () => {
    await editedPair();
    const no = await tandem('sync', '--two-way', A, B);
    expectCode(no, 1);
    expect(no.stderr.trim()).toBe(
      'tandem: not applied: no terminal to ask for approval; run again with --yes to apply this plan (and --conflict keep-a, keep-b, keep-both or newer for its conflicts)',
    );
    expect(read(B, 'fromA')).toBe('a0');
    const yes = await tandem('sync', '--two-way', A, B, '--yes');
    expectCode(yes, 1);
    expect(yes.stderr.trim()).toBe(
      'tandem: 1 conflict left as it is; resolve it on a terminal, or with --conflict keep-a, keep-b, keep-both or newer',
    );
    expect(read(B, 'fromA')).toBe('a1');
    expect(read(A, 'fromB')).toBe('b1');
    expect(read(A, 'shared')).toBe('A edit');
    expect(read(B, 'shared')).toBe('B edit');
    const both = await tandem('sync', '--two-way', A, B, '--yes', '--conflict', 'keep-both');
    expectCode(both, 0);
    expect(both.stdout).toMatch(/resolved shared: both kept, the other as shared\.sync-conflict-/);
    expect(diffTrees(A, B, { mtime: false, mode: false })).toEqual([]);
    expectCode(await tandem('diff', '--two-way', A, B), 0);
    // The same pair named the other way round is in sync too.
    expectCode(await tandem('diff', '--two-way', B, A), 0);
  });

  it('refuses with one line what a two-way pair does not take', async () => {
    writeTree(A, { f: 'x' });
    const cases: [string[], number, RegExp][] = [
      [['sync', '--two-way', A, 'nas:/backup'], 2, /two-way pairs are local folders/],
      [['sync', '--two-way', A, B, '-X'], 2, /-X is not kept by two-way pairs yet/],
      [['sync', '--two-way', A, B, '--conflict', 'mine'], 2, /--conflict takes keep-a/],
      [['sync', A, B, '--conflict', 'keep-a'], 2, /--conflict is for a two-way pair/],
      [['watch', '--two-way', A, 'nas:/b'], 2, /two-way pairs are local folders/],
      [['diff', '--two-way', A], 2, /takes exactly two folders, A and B/],
      [['diff', '--two-way', A, path.join(sb.base, 'nope', 'b')], 2, /does not exist/],
    ];
    for (const [args, code, message] of cases) {
      const run = await tandem(...args);
      expectCode(run, code);
      expect(run.stderr).toMatch(message);
      expect(oneLineErrorProblems(run.stderr), describeRun(run)).toEqual([]);
    }
  });

  it('a two-way pair refuses a one-way sync, and a one-way pair a two-way one, until --change-mode', async () => {
    writeTree(A, { f: 'x' });
    expectCode(await tandem('sync', A, B, '--yes'), 0);
    const toTwo = await tandem('sync', '--two-way', A, B, '--yes');
    expectCode(toTwo, 2);
    expect(toTwo.stderr).toMatch(/is a one-way pair; to make it two-way .* --change-mode/);
    putFile(B, 'g', 'made on B');
    expectCode(await tandem('sync', '--two-way', A, B, '--yes', '--change-mode'), 0);
    expect(read(A, 'g')).toBe('made on B');
    const toOne = await tandem('sync', A, B, '--yes');
    expectCode(toOne, 2);
    expect(toOne.stderr).toMatch(/are a two-way pair; sync them with --two-way/);
    expect(oneLineErrorProblems(toOne.stderr)).toEqual([]);
  });
});

describe('runTwoWay on a terminal', () => {
  /** Runs the CLI's two-way front in-process with a terminal that answers `answers` in turn. */
  async function withAnswers(answers: string[], extra: Partial<TwoWayArgs> = {}) {
    const out: string[] = [];
    const asked: string[] = [];
    const code = await runTwoWay(
      {
        a: A,
        b: B,
        write: true,
        yes: false,
        force: false,
        json: false,
        conflict: 'ask',
        changeMode: false,
        confirmTarget: false,
        ignore: [],
        ...extra,
      },
      {
        out: (s) => out.push(s),
        err: (s) => out.push(s),
        prompt: async (q) => {
          asked.push(q);
          const a = answers.shift();
          if (a === undefined) throw new Error(`asked more than expected: ${q}`);
          return a;
        },
        progress: { update: () => undefined, clear: () => undefined },
      },
    );
    return { code, out: out.join('\n'), asked };
  }

  it('asks per conflict (a, b, both, or skip) and then for the whole plan', async () => {
    writeTree(A, { one: 'base', two: 'base', three: 'base', four: 'base' });
    expect((await withAnswers([], { yes: true })).code).toBe(0);
    for (const f of ['one', 'two', 'three', 'four']) {
      fs.writeFileSync(path.join(A, f), `A ${f}`);
      fs.writeFileSync(path.join(B, f), `B ${f}`);
    }
    const r = await withAnswers(['a', 'b', 'x', 'k', 's', 'y']);
    expect(r.asked.filter((q) => q.includes('keep [a]'))).toHaveLength(5); // 'x' is asked again
    expect(r.asked.at(-1)).toBe('Apply 0 changes and 3 resolutions? [y/N] ');
    expect(r.code).toBe(1); // the skipped one is left
    // Byte order: four, one, three, two.
    expect([read(A, 'four'), read(B, 'four')]).toEqual(['A four', 'A four']);
    expect([read(A, 'one'), read(B, 'one')]).toEqual(['B one', 'B one']);
    expect(fs.readdirSync(A).filter((n) => n.startsWith('three.sync-conflict-'))).toHaveLength(1);
    expect([read(A, 'two'), read(B, 'two')]).toEqual(['A two', 'B two']);
  });
});
