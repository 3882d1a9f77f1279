// A mirror holds everything a file is. One source tree holds every kind of entry and metadata at
// once (nested and empty folders, files of many sizes, symlinks of every kind, two hard-link
// groups, a sparse file, user.* attributes, ACLs, modes, owners, names that are not UTF-8); the
// target starts with special files where the source has a file and a folder, stale entries, and
// a hard-link group that the source splits. One `tandem sync -H -X -A` (with --owner as root),
// then the mirror is checked with the tools people check one with: diff -r, rsync's dry run,
// getfattr and getfacl, and an independent listing (treeSnapshot) for what those do not compare.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApplyResult, Plan } from '../shared/plan.js';
import { escapedByte, fsPath, hasEscapedBytes } from '../testing/byteNames.js';
import {
  cliMissingReason,
  describeRun,
  parseJsonOutput,
  runCli,
  type CliRun,
} from '../testing/cliRunner.js';
import { makeSandbox, makeUnixSocket, mkfifo, type Sandbox } from '../testing/sandbox.js';
import {
  diffSnapshots,
  hardLinkGroups,
  hashTree,
  type TreeSnapshot,
} from '../testing/treeSnapshot.js';

function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}
const tools = {
  rsync: have('rsync'),
  attr: have('setfattr') && have('getfattr'),
  acl: have('setfacl') && have('getfacl'),
  diff: have('diff'),
};
const isRoot = process.getuid?.() === 0;
/** What is left out and why, printed once and named in the skipped tests' titles. */
const missing = {
  rsync: tools.rsync ? '' : 'needs rsync (apt-get install rsync)',
  attr: tools.attr ? '' : 'needs setfattr/getfattr (apt-get install attr)',
  acl: tools.acl ? '' : 'needs setfacl/getfacl (apt-get install acl)',
  diff: tools.diff ? '' : 'needs diff (diffutils)',
  owner: isRoot ? '' : 'only root may give files to another owner (--owner)',
};
/** A skipped test's reason, for its title. */
const why = (part: keyof typeof missing): string => (missing[part] ? ` (${missing[part]})` : '');

const MiB = 1024 * 1024;
const NOBODY = 65534;
const OLD = new Date(Date.UTC(2024, 2, 1, 12, 0, 0));
/** The sparse file: 64 MiB apparent, its data at two offsets. */
const SPARSE = {
  rel: 'images/disk.img',
  size: 64 * MiB,
  runs: [
    { at: 1 * MiB, len: 1.5 * MiB, byte: 0x5a },
    { at: 40 * MiB, len: 2 * MiB, byte: 0xa5 },
  ],
};
const SPARSE_DATA = SPARSE.runs.reduce((n, r) => n + r.len, 0);

// ---------------------------------------------------------------------------------------------
// Building the trees

const b = escapedByte;
/** 20 names that are not valid UTF-8 (or hold control bytes), with what each one is. */
const BYTE_ENTRIES: { rel: string; what: 'file' | 'dir' | 'link'; to?: string }[] = [
  { rel: `caf${b(0xe9)}.txt`, what: 'file' }, // latin-1 é
  { rel: b(0xff), what: 'file' }, // a byte UTF-8 never uses
  { rel: `${b(0xfe)}${b(0xff)}`, what: 'file' },
  { rel: `na${b(0xef)}ve`, what: 'file' }, // latin-1 ï
  { rel: `\x01start`, what: 'file' }, // control bytes are UTF-8, but seldom survive tools
  { rel: `bell\x07`, what: 'file' },
  { rel: `unit\x1fsep`, what: 'file' },
  { rel: `esc\x1b[31m`, what: 'file' },
  { rel: b(0xc3), what: 'file' }, // a two-byte lead with nothing after it
  { rel: `x${b(0xe2)}${b(0x82)}`, what: 'file' }, // a three-byte sequence cut short
  { rel: `over${b(0xc0)}${b(0xaf)}long`, what: 'file' }, // '/' spelt in two bytes
  { rel: `sur${b(0xed)}${b(0xa0)}${b(0x80)}`, what: 'file' }, // a UTF-16 surrogate in UTF-8
  { rel: `five${b(0xf8)}${b(0x88)}${b(0x80)}${b(0x80)}${b(0x80)}`, what: 'file' },
  { rel: `mixed-é-${b(0xe9)}`, what: 'file' }, // the same letter in UTF-8 and in latin-1
  { rel: `dossier-${b(0xe9)}`, what: 'dir' },
  { rel: `dossier-${b(0xe9)}/inner${b(0xff)}.txt`, what: 'file' },
  { rel: `dossier-${b(0xe9)}/\x02\x03`, what: 'file' },
  { rel: `dossier-${b(0xe9)}/sub${b(0xe8)}`, what: 'dir' },
  { rel: `dossier-${b(0xe9)}/sub${b(0xe8)}/deep${b(0xe0)}.bin`, what: 'file' },
  { rel: `link${b(0xe9)}`, what: 'link', to: `caf${b(0xe9)}.txt` },
];

/** Deterministic bytes (a small xorshift, not crypto: MiBs of it are needed fast). */
function bytes(len: number, seed: number): Buffer {
  const out = Buffer.alloc(len);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i + 4 <= len; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  return out;
}

function put(root: string, rel: string, data: string | Buffer, mode = 0o644): void {
  const p = path.join(root, rel);
  fs.mkdirSync(fsPath(path.dirname(p)), { recursive: true });
  fs.writeFileSync(fsPath(p), data);
  fs.chmodSync(fsPath(p), mode);
  fs.utimesSync(fsPath(p), OLD, OLD);
}

function dir(root: string, rel: string, mode = 0o755): void {
  const p = path.join(root, rel);
  fs.mkdirSync(fsPath(p), { recursive: true });
  fs.chmodSync(fsPath(p), mode);
}

let probeSerial = 0;
/** A path the tools can be given: itself, or a link to it where its name is not UTF-8. */
function toolPath(sb: Sandbox, abs: string): string {
  if (!hasEscapedBytes(abs)) return abs;
  const via = path.join(sb.base, `probe-${++probeSerial}`);
  fs.symlinkSync(fsPath(abs), via);
  return via;
}

function setfattr(sb: Sandbox, abs: string, name: string, value: string, noDeref = false): void {
  const args = [...(noDeref ? ['-h'] : []), '-n', name, '-v', value, toolPath(sb, abs)];
  execFileSync('setfattr', args, { stdio: 'pipe' });
}

/** What the test could not set on this machine, printed once. */
const notes: string[] = [];

async function buildSource(sb: Sandbox): Promise<void> {
  const s = sb.source;
  // Folders, nested and empty, with distinct modes.
  for (const [rel, mode] of [
    ['docs/deep/deeper', 0o755],
    ['empty', 0o755],
    ['nest/a/b/c/empty-leaf', 0o750],
    ['private', 0o700],
    ['shared', 0o2775],
    ['was-a-socket', 0o755],
  ] as const)
    dir(s, rel, mode);
  // Files of several sizes and modes.
  put(s, 'zero.bin', '', 0o600);
  put(s, 'small.txt', 'a small file\n');
  put(s, 'readonly.txt', 'do not write me\n', 0o444);
  put(s, 'script.sh', '#!/bin/sh\necho hi\n', 0o755);
  put(s, 'private/secret.txt', 'secret\n', 0o640);
  put(s, 'docs/notes.md', '# notes\n'.repeat(100));
  put(s, 'docs/deep/deeper/leaf.txt', 'leaf\n');
  put(s, 'was-a-pipe.txt', 'a file where the target has a FIFO\n');
  put(s, 'was-a-socket/inside.txt', 'a folder where the target has a socket\n');
  put(s, 'media/big.bin', bytes(12 * MiB, 1));
  put(s, 'media/medium.bin', bytes(3 * MiB, 2));
  put(s, 'media/shifted.bin', bytes(5 * MiB, 3));
  put(s, 'split/x.txt', 'x has its own bytes');
  put(s, 'split/y.txt', 'y has other bytes, longer');
  put(s, 'split/z.txt', 'z');
  put(s, 'bin/tool', '#!/bin/sh\n', isRoot ? 0o4755 : 0o755);
  // Symlinks: relative, absolute (out of the pair), dangling, to a folder.
  fs.writeFileSync(path.join(sb.outside, 'elsewhere.txt'), 'outside the pair');
  fs.mkdirSync(path.join(s, 'links'));
  fs.symlinkSync('../small.txt', path.join(s, 'links/rel'));
  fs.symlinkSync(path.join(sb.outside, 'elsewhere.txt'), path.join(s, 'links/abs'));
  fs.symlinkSync('missing/nowhere', path.join(s, 'links/dangling'));
  fs.symlinkSync('../docs', path.join(s, 'links/to-folder'));
  // Hard links: one group of three names across folders, one of two.
  put(s, 'hard/a1.txt', 'group a: three names\n');
  fs.mkdirSync(path.join(s, 'hard/sub'));
  fs.linkSync(path.join(s, 'hard/a1.txt'), path.join(s, 'hard/sub/a2.txt'));
  fs.linkSync(path.join(s, 'hard/a1.txt'), path.join(s, 'docs/a3.txt'));
  put(s, 'hard/b1.bin', bytes(200_000, 4));
  fs.linkSync(path.join(s, 'hard/b1.bin'), path.join(s, 'hard/b2.bin'));
  // The sparse file: holes everywhere but at two offsets.
  fs.mkdirSync(path.join(s, 'images'));
  const fd = fs.openSync(path.join(s, SPARSE.rel), 'w');
  for (const r of SPARSE.runs) fs.writeSync(fd, Buffer.alloc(r.len, r.byte), 0, r.len, r.at);
  fs.ftruncateSync(fd, SPARSE.size);
  fs.closeSync(fd);
  fs.utimesSync(path.join(s, SPARSE.rel), OLD, OLD);

  for (const [i, e] of BYTE_ENTRIES.entries()) {
    if (e.what === 'dir') dir(s, e.rel);
    else if (e.what === 'file') put(s, e.rel, `byte name ${i}\n`, [0o644, 0o600, 0o755][i % 3]);
    else fs.symlinkSync(fsPath(e.to!), fsPath(path.join(s, e.rel)));
  }

  if (tools.attr) {
    setfattr(sb, path.join(s, 'small.txt'), 'user.tag', 'red');
    setfattr(sb, path.join(s, 'zero.bin'), 'user.blob', '0x00ff10');
    setfattr(sb, path.join(s, 'zero.bin'), 'user.empty', '');
    setfattr(sb, path.join(s, 'media/big.bin'), 'user.long', `0x${'ab'.repeat(2000)}`);
    setfattr(sb, path.join(s, 'hard/a1.txt'), 'user.group', 'a'); // one inode: all three names
    setfattr(sb, path.join(s, SPARSE.rel), 'user.kind', 'disk image');
    setfattr(sb, path.join(s, 'readonly.txt'), 'user.ro', 'yes');
    setfattr(sb, path.join(s, 'docs'), 'user.where', 'folder');
    setfattr(sb, path.join(s, 'empty'), 'user.where', 'empty folder');
    setfattr(sb, path.join(s, `caf${b(0xe9)}.txt`), 'user.tag', 'latin-1 name');
    setfattr(sb, path.join(s, `dossier-${b(0xe9)}`), 'user.tag', 'latin-1 folder');
    // Linux allows no user.* attribute on a symlink; root may give it a trusted.* one.
    try {
      setfattr(sb, path.join(s, 'links/rel'), 'user.on-link', 'x', true);
    } catch {
      notes.push('user.* attributes on symlinks: not allowed on this filesystem');
    }
    if (isRoot) {
      setfattr(sb, path.join(s, 'links/rel'), 'trusted.on-link', 'root only', true);
      setfattr(sb, path.join(s, 'docs/notes.md'), 'trusted.note', 'root only');
    } else notes.push('trusted.* attributes: need root');
  } else notes.push(`no extended attributes set:${why('attr')}`);

  if (tools.acl) {
    put(s, 'shared/acl.txt', 'for nobody too\n');
    execFileSync('setfacl', ['-m', 'u:nobody:rw-,g::r--', path.join(s, 'shared/acl.txt')]);
    // A default ACL: what is made in the folder afterwards inherits it (in the source).
    execFileSync('setfacl', ['-d', '-m', 'u:nobody:r-x,g::r-x', path.join(s, 'shared')]);
    put(s, 'shared/inherited.txt', 'inherits the default ACL\n');
    fs.mkdirSync(path.join(s, 'shared/sub'));
    put(s, 'shared/sub/deeper.txt', 'so does this\n');
    execFileSync('setfacl', [
      '-m',
      'u:nobody:r--',
      toolPath(sb, path.join(s, `dossier-${b(0xe9)}/inner${b(0xff)}.txt`)),
    ]);
  } else notes.push(`no ACLs set:${why('acl')}`);

  if (isRoot) {
    for (const rel of ['docs/notes.md', 'private', 'private/secret.txt', 'bin/tool', 'hard/b1.bin'])
      fs.chownSync(path.join(s, rel), NOBODY, NOBODY);
    fs.lchownSync(path.join(s, 'links/dangling'), NOBODY, 0);
    // chown clears setuid: put it back, so the mirror must chown before it sets the mode.
    fs.chmodSync(path.join(s, 'bin/tool'), 0o4755);
    fs.chownSync(fsPath(path.join(s, `na${b(0xef)}ve`)), NOBODY, NOBODY);
  } else notes.push(`owners: ${missing.owner}`);

  // Folders last: writing into a folder moves its mtime.
  for (const [rel] of hashTree(s, { hashContent: false }))
    if (rel !== '' && fs.lstatSync(fsPath(path.join(s, rel))).isDirectory())
      fs.utimesSync(fsPath(path.join(s, rel)), OLD, OLD);
}

async function buildTarget(sb: Sandbox): Promise<void> {
  const t = sb.target;
  // Entries the source has too, some at older versions.
  put(t, 'small.txt', 'a small file\n');
  put(t, 'docs/notes.md', '# old notes\n');
  const big = bytes(12 * MiB, 1);
  for (const at of [100_000, 5 * MiB, 11 * MiB]) big.fill(0x00, at, at + 65_536);
  put(t, 'media/big.bin', big); // three edited regions: a patch, not a copy
  put(t, 'media/shifted.bin', Buffer.concat([Buffer.from('inserted'), bytes(5 * MiB, 3)]));
  // Special files where the source has a file and a folder: replaced, never opened.
  mkfifo(path.join(t, 'was-a-pipe.txt'));
  await makeUnixSocket(path.join(t, 'was-a-socket'));
  // Stale entries the source does not have.
  put(t, 'stale.txt', 'gone from the source\n');
  put(t, 'old/stale.bin', bytes(10_000, 9));
  dir(t, 'old/empty');
  put(t, 'docs/stale-note.md', 'stale\n');
  mkfifo(path.join(t, 'old/stray-pipe'));
  put(t, `stale-${b(0xe9)}`, 'a stale byte name\n');
  // One inode under three names, which the source gives three contents.
  put(t, 'split/x.txt', 'one inode, three names');
  fs.linkSync(path.join(t, 'split/x.txt'), path.join(t, 'split/y.txt'));
  fs.linkSync(path.join(t, 'split/x.txt'), path.join(t, 'split/z.txt'));
}

// ---------------------------------------------------------------------------------------------
// Reading the mirror

interface SyncOutput {
  plan: Plan;
  result: ApplyResult | null;
}

/**
 * A dump of getfattr or getfacl over a whole tree, as one block per entry keyed by its path (the
 * tools escape bytes in names the same way on both sides), the root and `.tandem/` left out:
 * the order of a recursive walk follows each folder's own listing, so blocks are compared as sets.
 */
function dumpBlocks(root: string, cmd: string, args: string[]): Map<string, string> {
  const out = execFileSync(cmd, [...args, '.'], { cwd: root, encoding: 'utf8' });
  const blocks = new Map<string, string>();
  for (const block of out.split(/\n\n+/)) {
    const m = /^# file: (.*)$/m.exec(block);
    if (!m) continue;
    const p = m[1]!.replace(/^\.\//, '');
    if (p === '.' || p === '.tandem' || p.startsWith('.tandem/')) continue;
    blocks.set(p, block.trim());
  }
  return blocks;
}

const xattrDump = (root: string) =>
  dumpBlocks(root, 'getfattr', ['-R', '-P', '-h', '-d', '-e', 'hex', '-m', '^(user|trusted)\\.']);
const aclDump = (root: string) => dumpBlocks(root, 'getfacl', ['-R', '-P']);

/** Entries whose mode, mtime (to the millisecond) or owner differ; links' modes are not theirs. */
function metadataDifferences(src: TreeSnapshot, dst: TreeSnapshot, owners: boolean): string[] {
  const out: string[] = [];
  for (const [p, s] of src) {
    const t = dst.get(p);
    if (p === '' || !t || t.kind !== s.kind) continue; // the listing's own check names those
    const shown = JSON.stringify(p);
    if (s.kind !== 'symlink' && s.mode !== t.mode)
      out.push(`${shown}: mode ${s.mode.toString(8)} vs ${t.mode.toString(8)}`);
    if (Math.floor(s.mtimeMs) !== Math.floor(t.mtimeMs))
      out.push(`${shown}: mtime ${s.mtimeMs} vs ${t.mtimeMs}`);
    if (owners && (s.uid !== t.uid || s.gid !== t.gid))
      out.push(`${shown}: owner ${s.uid}:${s.gid} vs ${t.uid}:${t.gid}`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

let sb: Sandbox;
let sourceBefore: TreeSnapshot;
let xattrsBefore: Map<string, string> | null = null;
let aclsBefore: Map<string, string> | null = null;
let first: CliRun;
const flags = ['-H', '-X', '-A', ...(isRoot ? ['--owner'] : [])];
const cli = (...args: string[]) =>
  runCli(args, { home: sb.home, timeoutMs: 180_000, cwd: sb.base });

beforeAll(async () => {
  const why = cliMissingReason();
  if (why) throw new Error(`the CLI is not built (${why})`);
  sb = makeSandbox('everything');
  await buildSource(sb);
  await buildTarget(sb);
  for (const [part, reason] of Object.entries(missing))
    if (reason) console.log(`everything: ${part} checks skipped: ${reason}`);
  for (const n of notes) console.log(`everything: ${n}`);
  sourceBefore = hashTree(sb.source);
  if (tools.attr) xattrsBefore = xattrDump(sb.source);
  if (tools.acl) aclsBefore = aclDump(sb.source);
  first = await cli('sync', sb.source, sb.target, ...flags, '--yes', '--json');
}, 240_000);
afterAll(() => sb?.cleanup());

describe(`a mirror of everything (tandem sync ${flags.join(' ')}, names as bytes)`, () => {
  it('syncs in one run: exit 0, nothing failed, nothing skipped, special files replaced without a conflict', () => {
    expect(first.timedOut, describeRun(first)).toBe(false);
    const out = parseJsonOutput<SyncOutput>(first);
    expect(out.plan.skipped, describeRun(first)).toEqual([]);
    expect(out.result?.failed, describeRun(first)).toEqual([]);
    expect(out.result?.stopped ?? null).toBeNull();
    expect(first.code, describeRun(first)).toBe(0);
    const byPath = new Map(out.plan.items.map((i) => [i.path, i]));
    expect(byPath.get('was-a-pipe.txt')).toMatchObject({ kind: 'replaceType' });
    expect(byPath.get('was-a-socket')).toMatchObject({ kind: 'replaceType' });
    expect(byPath.get('was-a-pipe.txt')?.conflict).toBeUndefined();
    expect(byPath.get('old/stray-pipe')).toMatchObject({ kind: 'delete' });
    expect(byPath.get('media/big.bin')).toMatchObject({ kind: 'update' });
    // Its three edited regions are patched in place (4 of 96 chunks), not copied whole.
    expect(byPath.get('media/big.bin')?.chunks?.changed).toHaveLength(4);
    expect(out.result?.patchedInPlace).toBe(1);
  });

  it.skipIf(!tools.diff)(`(a) diff -r --no-dereference finds no difference${why('diff')}`, () => {
    // diff's --exclude matches names at any depth: the source holds no .tandem anywhere.
    const r = spawnSync(
      'diff',
      ['-r', '--no-dereference', '--exclude=.tandem', sb.source, sb.target],
      { encoding: 'utf8', maxBuffer: 64 * MiB },
    );
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!tools.rsync)(
    `(b) rsync -rlcnHAXS --delete --itemize-changes would change nothing${why('rsync')}`,
    () => {
      // With --owner, owners and groups are compared too (-o -g).
      const args = ['-rlcnHAXS', ...(isRoot ? ['-og'] : []), '--delete', '--itemize-changes'];
      const r = spawnSync(
        'rsync',
        [...args, '--exclude=/.tandem', `${sb.source}/`, `${sb.target}/`],
        { encoding: 'utf8', maxBuffer: 64 * MiB },
      );
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.split('\n').filter((l) => l.trim() !== '')).toEqual([]);
    },
  );

  it.skipIf(!tools.attr)(
    `(c) getfattr dumps of user.* and trusted.* attributes match${why('attr')}`,
    () => {
      const src = xattrDump(sb.source);
      expect(src.size).toBeGreaterThanOrEqual(9); // the attributes set above are there
      expect(Object.fromEntries(xattrDump(sb.target))).toEqual(Object.fromEntries(src));
    },
  );

  it.skipIf(!tools.acl)(`(c) getfacl dumps match, default ACLs included${why('acl')}`, () => {
    const src = aclDump(sb.source);
    expect(src.get('shared')).toMatch(/default:user:nobody:r-x/);
    expect(src.get('shared/acl.txt')).toMatch(/user:nobody:rw-/);
    expect(Object.fromEntries(aclDump(sb.target))).toEqual(Object.fromEntries(src));
  });

  it('(d) the sparse file allocates less than twice its data on the target', () => {
    const src = fs.statSync(path.join(sb.source, SPARSE.rel));
    const dst = fs.statSync(path.join(sb.target, SPARSE.rel));
    if (src.blocks * 512 >= SPARSE.size) {
      console.log('everything: (d) skipped: this filesystem does not keep holes in the source');
      return;
    }
    expect(dst.size).toBe(SPARSE.size);
    expect(dst.blocks * 512).toBeLessThan(2 * SPARSE_DATA);
  });

  it('(e) hard-link groups by inode are the source’s: two groups, the target’s own one split', () => {
    const src = hardLinkGroups(hashTree(sb.source, { hashContent: false }));
    expect(src).toEqual([
      ['docs/a3.txt', 'hard/a1.txt', 'hard/sub/a2.txt'],
      ['hard/b1.bin', 'hard/b2.bin'],
    ]);
    expect(hardLinkGroups(hashTree(sb.target, { hashContent: false }))).toEqual(src);
  });

  it('every entry has the source’s type, bytes, link text, mode, mtime and (as root) owner', () => {
    const src = hashTree(sb.source);
    const dst = hashTree(sb.target);
    // Types, bytes and link texts (the root's own metadata is the user's).
    expect(diffSnapshots(src, dst).filter((d) => !d.startsWith('"":'))).toEqual([]);
    expect(metadataDifferences(src, dst, isRoot)).toEqual([]);
    expect(dst.get('bin/tool')?.mode).toBe(isRoot ? 0o4755 : 0o755);
  });

  it('(g) a second sync plans nothing and diff says the pair is in sync', async () => {
    const again = await cli('sync', sb.source, sb.target, ...flags, '--yes', '--json');
    expect(again.code, describeRun(again)).toBe(0);
    const out = parseJsonOutput<SyncOutput>(again);
    expect(out.plan.items.map((i) => `${i.kind} ${i.path}`)).toEqual([]);
    expect(out.plan.skipped).toEqual([]);
    expect(out.result).toBeNull();
    expect(out.plan.sourceRootId).toBe(out.plan.targetRootId);
    // The pair remembers its settings: a plain diff finds nothing either.
    const diff = await cli('diff', sb.source, sb.target);
    expect(diff.code, describeRun(diff)).toBe(0);
  });

  it('(f) the source is untouched: bytes, modes, times, inodes, ctimes, attributes, ACLs', () => {
    expect(
      diffSnapshots(sourceBefore, hashTree(sb.source), { mode: true, mtime: true, inode: true }),
    ).toEqual([]);
    if (xattrsBefore) expect(xattrDump(sb.source)).toEqual(xattrsBefore);
    if (aclsBefore) expect(aclDump(sb.source)).toEqual(aclsBefore);
  });
});
