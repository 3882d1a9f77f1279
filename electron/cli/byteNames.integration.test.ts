// Names that are not valid UTF-8, end to end through `tandem` on real folders: synced byte for
// byte, kept in the index (a second run is a no-op), shown escaped as rsync's \#ooo in text output
// and carried losslessly in --json (each raw byte as the lone surrogate U+DC80+byte, Python's
// surrogateescape).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { cliMissingReason, describeRun, parseJsonOutput, runCli } from '../testing/cliRunner.js';
import { makeSandbox, type Sandbox } from '../testing/sandbox.js';
import { diffTrees, hashTree } from '../testing/treeSnapshot.js';
import { encodeName } from '../engine/core/runtime/byteNames.js';

let sb: Sandbox;

beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('bytenames');
});
afterEach(() => sb.cleanup());

const cli = (...args: string[]) =>
  runCli(args, { home: sb.home, timeoutMs: 120_000, cwd: sb.base });

interface SyncOutput {
  plan: Plan;
  result: ApplyResult | null;
}

/** An absolute path of `root` and a relative path given as byte strings and text parts. */
function at(root: string, ...parts: (string | number[])[]): Buffer {
  return Buffer.concat([
    Buffer.from(root + '/'),
    ...parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))),
  ]);
}

/** Every name below `root` as raw bytes, '/'-joined, sorted: what the filesystem holds. */
function rawNames(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: Buffer, rel: Buffer | null): void => {
    for (const n of fs.readdirSync(dir, { encoding: 'buffer' })) {
      if (!rel && n.toString() === '.tandem') continue;
      const childRel = rel ? Buffer.concat([rel, Buffer.from('/'), n]) : n;
      out.push(childRel.toString('hex'));
      const abs = Buffer.concat([dir, Buffer.from('/'), n]);
      if (fs.lstatSync(abs).isDirectory()) visit(abs, childRel);
    }
  };
  visit(Buffer.from(root), null);
  return out.sort();
}

// 20 names that are not UTF-8: latin-1 (an archive from an old system), raw high bytes, broken
// and overlong sequences, encoded surrogates; some with control bytes too; a folder among them.
const LATIN1 = [
  [0x63, 0x61, 0x66, 0xe9], // café in latin-1
  [0x6e, 0x61, 0xef, 0x76, 0x65], // naïve
  [0x47, 0x72, 0xfc, 0xdf, 0x65], // Grüße
  [0xc5, 0x6c, 0x61, 0x6e, 0x64], // Åland
  [0xff],
  [0xfe, 0xff, 0x20, 0x78],
  [0x80, 0x81, 0x82],
  [0xc0, 0xaf], // overlong '/'
  [0xed, 0xa0, 0x80], // an encoded surrogate
  [0xe2, 0x82], // a cut-off €
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
  [0x61, 0x01, 0xe9], // a control byte and latin-1
  [0x62, 0x0a, 0xff], // a newline and a raw byte
  [0x1b, 0x5b, 0x33, 0x31, 0x6d, 0xe9], // an ANSI escape sequence in a name
];

function writeByteTree(root: string): number {
  let n = 0;
  for (const b of LATIN1) {
    fs.writeFileSync(at(root, b, '.txt'), `content of ${Buffer.from(b).toString('hex')}\n`);
    n++;
  }
  const dir = [0x64, 0x69, 0x72, 0xe9]; // "diré" in latin-1
  fs.mkdirSync(at(root, dir));
  n++;
  for (const b of [
    [0x69, 0x6e, 0xfc],
    [0x6f, 0x6b],
  ]) {
    fs.writeFileSync(at(root, dir, '/', b), Buffer.alloc(200_000, b[0]));
    n++;
  }
  fs.mkdirSync(at(root, dir, '/', [0x73, 0x75, 0x62, 0xff]));
  fs.writeFileSync(at(root, dir, '/', [0x73, 0x75, 0x62, 0xff], '/', [0xe0]), 'deep');
  n += 2;
  // A link whose own name and whose text are not UTF-8.
  fs.symlinkSync(
    Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x2e, 0x74, 0x78, 0x74]),
    at(root, [0x6c, 0xe9]),
  );
  n++;
  fs.writeFileSync(path.join(root, 'plain.txt'), 'an ordinary name beside them\n');
  return n;
}

describe('names that are not valid UTF-8', () => {
  it('syncs 20 such names (files, folders, a link) byte for byte, and a second run is a no-op', async () => {
    const count = writeByteTree(sb.source);
    expect(count).toBeGreaterThanOrEqual(20);
    const before = hashTree(sb.source);

    const run = await cli('sync', sb.source, sb.target, '--yes', '--json');
    expect(run.code, describeRun(run)).toBe(0);
    const out = parseJsonOutput<SyncOutput>(run);
    expect(out.plan.skipped).toEqual([]);
    expect(out.result?.failed).toEqual([]);
    expect(out.plan.items).toHaveLength(count + 1);

    // The same bytes on both sides, and the same contents, modes and link texts.
    expect(rawNames(sb.target)).toEqual(rawNames(sb.source));
    expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);
    expect(hashTree(sb.source)).toEqual(before);

    const again = await cli('diff', sb.source, sb.target, '--json');
    expect(again.code, describeRun(again)).toBe(0);
    expect(parseJsonOutput<Plan>(again).items).toEqual([]);
  });

  it('carries each name losslessly in --json: its raw bytes as U+DC80+byte', async () => {
    writeByteTree(sb.source);
    const run = await cli('diff', sb.source, sb.target, '--json');
    const plan = parseJsonOutput<Plan>(run);
    const fromJson = plan.items.map((i) => encodeName(i.path).toString('hex')).sort();
    expect(fromJson).toEqual(rawNames(sb.source));
    // The JSON text itself stays valid UTF-8: the surrogates are written as \udcXX escapes.
    expect(run.stdout).toContain('caf\\udce9.txt');
    expect(Buffer.from(run.stdout, 'utf8').toString('utf8')).toBe(run.stdout);
  });

  it('shows such names as \\#ooo in text output, never as a replacement character or a raw control byte', async () => {
    writeByteTree(sb.source);
    const run = await cli('diff', sb.source, sb.target);
    expect(run.code, describeRun(run)).toBe(1);
    expect(run.stdout).toContain('+ caf\\#351.txt');
    expect(run.stdout).toContain('+ dir\\#351/in\\#374');
    expect(run.stdout).toContain('+ b\\#012\\#377.txt');
    expect(run.stdout).toContain('+ l\\#351 -> caf\\#351.txt');
    expect(run.stdout).toContain('\\#033[31m\\#351.txt');
    expect(run.stdout).not.toContain('\ufffd');
    // eslint-disable-next-line no-control-regex
    expect(run.stdout.replace(/\n/g, '')).not.toMatch(/[\x00-\x1f\x7f]/);
  });

  it('updates, renames and deletes entries with such names, and the target follows exactly', async () => {
    writeByteTree(sb.source);
    let run = await cli('sync', sb.source, sb.target, '--yes');
    expect(run.code, describeRun(run)).toBe(0);

    const dir = [0x64, 0x69, 0x72, 0xe9];
    // An edit in the middle of a 200 KB file in the folder with a latin-1 name.
    const fd = fs.openSync(at(sb.source, dir, '/', [0x69, 0x6e, 0xfc]), 'r+');
    fs.writeSync(fd, Buffer.from('edited'), 0, 6, 100_000);
    fs.closeSync(fd);
    fs.renameSync(at(sb.source, [0xff], '.txt'), at(sb.source, [0xfe, 0xfe], '.txt'));
    fs.unlinkSync(at(sb.source, [0x80, 0x81, 0x82], '.txt'));
    fs.writeFileSync(at(sb.source, [0xc5, 0x6c, 0x61, 0x6e, 0x64], '.txt'), 'rewritten\n');

    run = await cli('sync', sb.source, sb.target, '--yes', '--json');
    expect(run.code, describeRun(run)).toBe(0);
    const out = parseJsonOutput<SyncOutput>(run);
    const kinds = Object.fromEntries(
      out.plan.items.map((i) => [encodeName(i.path).toString('hex'), i.kind]),
    );
    const hex = (...parts: (string | number[])[]) =>
      Buffer.concat(parts.map((p) => Buffer.from(p as string))).toString('hex');
    expect(kinds).toEqual({
      [hex(dir, '/', [0x69, 0x6e, 0xfc])]: 'update',
      [hex([0xfe, 0xfe], '.txt')]: 'rename',
      [hex([0x80, 0x81, 0x82], '.txt')]: 'delete',
      [hex([0xc5, 0x6c, 0x61, 0x6e, 0x64], '.txt')]: 'update',
    });
    const rename = out.plan.items.find((i) => i.kind === 'rename')!;
    expect(encodeName(rename.from!).equals(Buffer.from([0xff, 0x2e, 0x74, 0x78, 0x74]))).toBe(true);
    expect(rawNames(sb.target)).toEqual(rawNames(sb.source));
    expect(diffTrees(sb.source, sb.target)).toEqual([]);
    expect((await cli('diff', sb.source, sb.target)).code).toBe(0);
  });
});
