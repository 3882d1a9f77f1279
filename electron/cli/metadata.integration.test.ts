// Metadata beyond mode and mtime through `tandem`: extended attributes (-X) and POSIX ACLs (-A),
// set with setfattr/setfacl and read back with getfattr/getfacl on the target (the tools people
// check a mirror with), and owners (--owner, as root).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { cliMissingReason, describeRun, parseJsonOutput, runCli } from '../testing/cliRunner.js';
import { makeSandbox, writeTree, type Sandbox } from '../testing/sandbox.js';
import { diffTrees } from '../testing/treeSnapshot.js';

function tool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const haveTools = ['setfattr', 'getfattr', 'setfacl', 'getfacl'].every(tool);
const why = 'needs setfattr/getfattr and setfacl/getfacl (apt-get install attr acl)';

let sb: Sandbox;
beforeAll(() => {
  const missing = cliMissingReason();
  if (missing) throw new Error(`the CLI is not built (${missing})`);
});
beforeEach(() => {
  sb = makeSandbox('metadata');
});
afterEach(() => sb.cleanup());

const cli = (...args: string[]) => runCli(args, { home: sb.home, timeoutMs: 90_000, cwd: sb.base });

/** getfattr's dump of the user.* attributes of a path, with the path itself left out. */
function attrs(p: string): string {
  return execFileSync('getfattr', ['--absolute-names', '-d', '-m', '^user\\.', p], {
    encoding: 'utf8',
  })
    .split('\n')
    .filter((l) => l && !l.startsWith('# file:'))
    .join('\n');
}

function acl(p: string): string {
  return execFileSync('getfacl', ['--absolute-names', '--omit-header', p], { encoding: 'utf8' });
}

describe.skipIf(!haveTools)(`extended attributes and ACLs (${why})`, () => {
  it('copies user.* attributes of files and folders with -X, then an attribute-only change is its own metadata item', async () => {
    writeTree(sb.source, { 'a.txt': 'a', docs: { 'b.txt': 'b' }, 'plain.txt': 'none' });
    const a = path.join(sb.source, 'a.txt');
    const docs = path.join(sb.source, 'docs');
    execFileSync('setfattr', ['-n', 'user.tag', '-v', 'red', a]);
    execFileSync('setfattr', ['-n', 'user.comment', '-v', '0x00ff10', a]);
    execFileSync('setfattr', ['-n', 'user.where', '-v', 'folder', docs]);
    const first = await cli('sync', sb.source, sb.target, '--yes', '-X');
    expect(first.code, describeRun(first)).toBe(0);
    for (const rel of ['a.txt', 'docs', 'plain.txt'])
      expect(attrs(path.join(sb.target, rel)), rel).toBe(attrs(path.join(sb.source, rel)));
    expect(attrs(path.join(sb.target, 'a.txt'))).toMatch(/user.tag="red"/);
    expect((await cli('diff', sb.source, sb.target)).code).toBe(0);

    // Only an attribute changes (and one goes): the pair remembers -X.
    execFileSync('setfattr', ['-n', 'user.tag', '-v', 'blue', a]);
    execFileSync('setfattr', ['-x', 'user.comment', a]);
    const d = await cli('diff', sb.source, sb.target, '--json');
    expect(d.code, describeRun(d)).toBe(1);
    const plan = parseJsonOutput<Plan>(d);
    expect(plan.items.map((i) => [i.path, i.kind, i.differs])).toEqual([
      ['a.txt', 'metadata', ['xattr']],
    ]);
    const text = await cli('diff', sb.source, sb.target);
    expect(text.stdout).toMatch(/^m a\.txt {2}xattr$/m);
    const second = await cli('sync', sb.source, sb.target, '--yes', '--json');
    const out = parseJsonOutput<{ plan: Plan; result: ApplyResult }>(second);
    expect(out.result.failed).toEqual([]);
    expect(attrs(path.join(sb.target, 'a.txt'))).toBe(attrs(a));
    expect(attrs(path.join(sb.target, 'a.txt'))).not.toMatch(/comment/);
    expect((await cli('diff', sb.source, sb.target)).code).toBe(0);
    expect(diffTrees(sb.source, sb.target, { mode: true, mtime: true })).toEqual([]);
  });

  it('leaves attributes alone without -X, and copies POSIX ACLs with -A', async () => {
    writeTree(sb.source, { 'shared.txt': 'for the group', 'x.txt': 'x' });
    const shared = path.join(sb.source, 'shared.txt');
    execFileSync('setfattr', ['-n', 'user.tag', '-v', 'red', path.join(sb.source, 'x.txt')]);
    execFileSync('setfacl', ['-m', 'u:nobody:rw', shared]);
    const plain = await cli('sync', sb.source, sb.target, '--yes');
    expect(plain.code, describeRun(plain)).toBe(0);
    expect(attrs(path.join(sb.target, 'x.txt'))).toBe('');
    expect(acl(path.join(sb.target, 'shared.txt'))).not.toMatch(/user:nobody/);

    const withAcls = await cli('sync', sb.source, sb.target, '--yes', '-A');
    expect(withAcls.code, describeRun(withAcls)).toBe(0);
    expect(acl(path.join(sb.target, 'shared.txt'))).toBe(acl(shared));
    expect(acl(path.join(sb.target, 'shared.txt'))).toMatch(/user:nobody:rw-/);
    expect(fs.statSync(path.join(sb.target, 'shared.txt')).mode).toBe(fs.statSync(shared).mode);
    expect((await cli('diff', sb.source, sb.target)).code).toBe(0);
  });
});

const isRoot = process.getuid?.() === 0;

describe.skipIf(!haveTools || !isRoot)(
  `attributes of symlinks (as root, who alone may set trusted.*; ${why})`,
  () => {
    // Linux allows no user.* attribute on a symlink, but root may give one trusted.* attributes,
    // which -X syncs as root (rsync -X does too). Found by everything.integration.test.ts: the
    // scan read attributes of files and folders only, so a link's never reached the target.
    it('copies a link’s own trusted.* attributes with -X, then an attribute-only change is its own metadata item', async () => {
      writeTree(sb.source, { 'a.txt': 'a' });
      const link = path.join(sb.source, 'link');
      fs.symlinkSync('a.txt', link);
      execFileSync('setfattr', ['-h', '-n', 'trusted.where', '-v', 'on the link', link]);
      const first = await cli('sync', sb.source, sb.target, '--yes', '-X');
      expect(first.code, describeRun(first)).toBe(0);
      const dump = (p: string) =>
        execFileSync('getfattr', ['-h', '--absolute-names', '-d', '-m', '^trusted\\.', p], {
          encoding: 'utf8',
        })
          .split('\n')
          .filter((l) => l && !l.startsWith('# file:'))
          .join('\n');
      expect(dump(path.join(sb.target, 'link'))).toBe('trusted.where="on the link"');
      expect(dump(path.join(sb.target, 'a.txt'))).toBe('');
      expect((await cli('diff', sb.source, sb.target)).code).toBe(0);

      execFileSync('setfattr', ['-h', '-n', 'trusted.where', '-v', 'moved', link]);
      const d = await cli('diff', sb.source, sb.target, '--json');
      expect(d.code, describeRun(d)).toBe(1);
      expect(parseJsonOutput<Plan>(d).items.map((i) => [i.path, i.kind, i.differs])).toEqual([
        ['link', 'metadata', ['xattr']],
      ]);
      const second = await cli('sync', sb.source, sb.target, '--yes');
      expect(second.code, describeRun(second)).toBe(0);
      expect(dump(path.join(sb.target, 'link'))).toBe('trusted.where="moved"');
      expect((await cli('diff', sb.source, sb.target)).code).toBe(0);
    });
  },
);

describe.skipIf(!isRoot)('owners and groups with --owner (needs root, as CI runs)', () => {
  it('gives target entries the source’s owner and group, then an owner-only change is its own metadata item', async () => {
    writeTree(sb.source, { 'a.txt': 'a', docs: { 'b.txt': 'b' }, link: 'x' });
    fs.rmSync(path.join(sb.source, 'link'));
    fs.symlinkSync('a.txt', path.join(sb.source, 'link'));
    for (const rel of ['a.txt', 'docs', 'docs/b.txt'])
      fs.chownSync(path.join(sb.source, rel), 65534, 65534);
    fs.lchownSync(path.join(sb.source, 'link'), 65534, 0);
    const first = await cli('sync', sb.source, sb.target, '--yes', '--owner');
    expect(first.code, describeRun(first)).toBe(0);
    for (const rel of ['a.txt', 'docs', 'docs/b.txt', 'link']) {
      const s = fs.lstatSync(path.join(sb.source, rel));
      const t = fs.lstatSync(path.join(sb.target, rel));
      expect([t.uid, t.gid], rel).toEqual([s.uid, s.gid]);
    }
    expect((await cli('diff', sb.source, sb.target)).code).toBe(0);

    fs.chownSync(path.join(sb.source, 'docs', 'b.txt'), 0, 65534);
    const d = await cli('diff', sb.source, sb.target, '--json');
    expect(d.code, describeRun(d)).toBe(1);
    expect(parseJsonOutput<Plan>(d).items.map((i) => [i.path, i.kind, i.differs])).toEqual([
      ['docs/b.txt', 'metadata', ['owner']],
    ]);
    const second = await cli('sync', sb.source, sb.target, '--yes');
    expect(second.code, describeRun(second)).toBe(0);
    expect(fs.statSync(path.join(sb.target, 'docs', 'b.txt')).uid).toBe(0);
    expect((await cli('diff', sb.source, sb.target)).code).toBe(0);
  });
});
