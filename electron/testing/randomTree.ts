// Random folder trees for property tests (fast-check): a small model of files, folders and
// symlinks with odd names, edits that turn one tree into another (on the model alone, or on the
// model and a folder on disk at once), and a rendering a person can read in a failure report.
// No vitest import: engine code and benchmarks may use it too.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { seededBytes } from './rng.js';

/** A file's bytes: `len` seeded bytes with some of them inverted (a same-size edit). */
export interface FileContent {
  seed: number;
  len: number;
  flips: number[];
}

/** An mtime to set (epoch ms), or the one the write left ('now': inside the racy window). */
export type MtimeSpec = number | 'now';

export interface FileModel {
  t: 'file';
  content: FileContent;
  mode: number;
  mtime: MtimeSpec;
}

export interface LinkModel {
  t: 'link';
  to: string;
}

export interface DirModel {
  t: 'dir';
  mode: number;
  /** name → entry, in insertion order */
  kids: Map<string, TreeModel>;
}

export type TreeModel = FileModel | LinkModel | DirModel;

/** An edit picks its entry by index into the entries that fit it, so every edit always applies. */
export type Edit =
  /** new bytes, and a new mtime or the old one put back (then only size or ctime tells) */
  | { op: 'rewrite'; at: number; content: FileContent; mtime: MtimeSpec | 'keep' }
  /** one byte inverted in place, the mtime put back: same size, same mtime, other bytes */
  | { op: 'flipByte'; at: number; pos: number }
  /** truncated or extended, the bytes before the cut unchanged */
  | { op: 'resize'; at: number; len: number }
  | { op: 'chmod'; at: number; mode: number }
  | { op: 'touch'; at: number; mtime: MtimeSpec }
  | { op: 'remove'; at: number }
  /** another entry (usually of another type) in its place */
  | { op: 'replace'; at: number; node: TreeModel }
  | { op: 'add'; dir: number; name: string; node: TreeModel }
  /** a rename, possibly into another folder (skipped where the name is taken or it would nest) */
  | { op: 'move'; at: number; dir: number; name: string }
  | { op: 'relink'; at: number; to: string }
  /** a folder replaced by a link to the same path in a root ({source}/p): writes must not follow */
  | { op: 'folderToLink'; at: number; into: typeof SOURCE_ROOT_TOKEN | typeof TARGET_ROOT_TOKEN };

/** The pair's own folder and the ignore file: names a root cannot hold in these tests. */
const ROOT_ONLY_RESERVED = new Set(['.tandem', '.tandemignore']);

/** 255 bytes each: the longest name Linux filesystems hold. */
const LONG_NAMES = ['x'.repeat(255), `${'é'.repeat(127)}z`, `${'🎉'.repeat(63)}abc`];

/** Names that break naive code: spaces, dashes, newlines, both Unicode forms of é, emoji… */
export const ODD_NAMES = [
  'a',
  'b',
  'A',
  'loop',
  'ping',
  'pong',
  '.hidden',
  '.tandem',
  'with space',
  ' lead',
  'trail ',
  '-rf',
  '--',
  'new\nline',
  'tab\there',
  'caf\u00e9',
  'cafe\u0301',
  '📁',
  '😀🎉',
  '日本語',
  'repl\ufffd',
  '#hash',
  '*?[]!',
  `quote'"`,
  'back\\slash',
  '~',
  ...LONG_NAMES,
];

/** Stand-ins in link texts for the pair's roots, written as their absolute paths (see LinkRoots). */
export const SOURCE_ROOT_TOKEN = '{source}';
export const TARGET_ROOT_TOKEN = '{target}';

/**
 * Link texts: relative, absolute, dangling, to the folder itself or its parent, loops (`loop` →
 * itself, `ping` ↔ `pong`, when those names are taken), and into the pair's own roots: a target
 * link into the source where the source has a folder is the way a careless write would reach
 * the source.
 */
export const LINK_TEXTS = [
  SOURCE_ROOT_TOKEN,
  `${SOURCE_ROOT_TOKEN}/a`,
  TARGET_ROOT_TOKEN,
  'a',
  'b/../a',
  '.',
  '..',
  '../..',
  'loop',
  'ping',
  'pong',
  'missing/nowhere',
  '/etc/hostname',
  '/nonexistent/absolute',
  'with space',
  'new\nline',
  'cafe\u0301',
  `${'deep/'.repeat(150)}end`,
];

const FILE_MODES = [0o644, 0o600, 0o755, 0o444, 0o640, 0o700, 0o666];
const DIR_MODES = [0o755, 0o700, 0o750, 0o775];
/** Old times (trusted by the index), a fractional millisecond, and one in the future. */
const MTIMES: MtimeSpec[] = [
  Date.UTC(2001, 1, 3, 4, 5, 6),
  Date.UTC(2011, 6, 1),
  Date.UTC(2019, 11, 31, 23, 59, 59, 999),
  1_234_567_890_123.5,
  Date.UTC(2099, 0, 1),
  'now',
];

const nameChar = fc.constantFrom('a', 'b', 'Z', '0', ' ', '-', '.', 'é', 'e\u0301', '🎉', '\n');
const generatedName = fc
  .string({ unit: nameChar, minLength: 1, maxLength: 8 })
  .filter((n) => n !== '.' && n !== '..');

export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_NAMES) },
  { weight: 1, arbitrary: generatedName },
);

const contentArb: fc.Arbitrary<FileContent> = fc.record({
  // few seeds: files with the same bytes are common, so moves have several candidates
  seed: fc.nat(5),
  len: fc.oneof(
    { weight: 2, arbitrary: fc.constant(0) },
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) },
    { weight: 3, arbitrary: fc.integer({ min: 65, max: 4096 }) },
    // more than one 128 KiB chunk: an update that changes some chunks and keeps others
    { weight: 1, arbitrary: fc.integer({ min: 130_000, max: 300_000 }) },
  ),
  flips: fc.constant([]),
});

const mtimeArb: fc.Arbitrary<MtimeSpec> = fc.constantFrom(...MTIMES);

const fileArb: fc.Arbitrary<FileModel> = fc.record({
  t: fc.constant('file' as const),
  content: contentArb,
  mode: fc.constantFrom(...FILE_MODES),
  mtime: mtimeArb,
});

const linkArb: fc.Arbitrary<LinkModel> = fc.record({
  t: fc.constant('link' as const),
  to: fc.constantFrom(...LINK_TEXTS),
});

function dirOf(
  kid: fc.Arbitrary<TreeModel>,
  names: fc.Arbitrary<string>,
  maxKids: number,
): fc.Arbitrary<DirModel> {
  return fc
    .record({
      mode: fc.constantFrom(...DIR_MODES),
      kids: fc.uniqueArray(fc.tuple(names, kid), { maxLength: maxKids, selector: ([n]) => n }),
    })
    .map(({ mode, kids }) => ({ t: 'dir' as const, mode, kids: new Map(kids) }));
}

/** An entry: a file, a link, or a folder of at most 3 entries, nested at most 2 deep. */
export const nodeArb: fc.Arbitrary<TreeModel> = fc.letrec<{ node: TreeModel }>((tie) => ({
  node: fc.oneof(
    { maxDepth: 2, depthSize: 'small', withCrossShrink: true },
    fileArb,
    fileArb,
    linkArb,
    dirOf(tie('node'), nameArb, 3),
  ),
})).node;

/** A root folder of at most `maxKids` entries, none named like the pair's own files. */
export function rootArb(maxKids = 5): fc.Arbitrary<DirModel> {
  const rootName = nameArb.filter((n) => !ROOT_ONLY_RESERVED.has(n));
  return dirOf(nodeArb, rootName, maxKids).map((d) => ({ ...d, mode: 0o755 }));
}

export const editArb: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({
    op: fc.constant('rewrite' as const),
    at: fc.nat(),
    content: contentArb,
    mtime: fc.oneof(mtimeArb, fc.constant('keep' as const)),
  }),
  fc.record({ op: fc.constant('flipByte' as const), at: fc.nat(), pos: fc.nat() }),
  fc.record({ op: fc.constant('resize' as const), at: fc.nat(), len: fc.nat(300_000) }),
  fc.record({
    op: fc.constant('chmod' as const),
    at: fc.nat(),
    mode: fc.constantFrom(...FILE_MODES, ...DIR_MODES),
  }),
  fc.record({ op: fc.constant('touch' as const), at: fc.nat(), mtime: mtimeArb }),
  fc.record({ op: fc.constant('remove' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), node: nodeArb }),
  fc.record({ op: fc.constant('add' as const), dir: fc.nat(), name: nameArb, node: nodeArb }),
  fc.record({ op: fc.constant('move' as const), at: fc.nat(), dir: fc.nat(), name: nameArb }),
  fc.record({
    op: fc.constant('relink' as const),
    at: fc.nat(),
    to: fc.constantFrom(...LINK_TEXTS),
  }),
  fc.record({
    op: fc.constant('folderToLink' as const),
    at: fc.nat(),
    into: fc.constantFrom(SOURCE_ROOT_TOKEN, TARGET_ROOT_TOKEN),
  }),
);

// ---------------------------------------------------------------------------------------------
// The model on disk

export function fileBytes(c: FileContent): Buffer {
  const b = seededBytes(`tree/${c.seed}`, c.len);
  for (const f of c.flips) if (c.len > 0) b[f % c.len] = b[f % c.len]! ^ 0xff;
  return b;
}

/** The absolute roots that SOURCE_ROOT_TOKEN and TARGET_ROOT_TOKEN stand for. */
export interface LinkRoots {
  source: string;
  target: string;
}

function linkText(to: string, roots: LinkRoots | undefined): string {
  if (!roots) return to;
  return to.replace(SOURCE_ROOT_TOKEN, roots.source).replace(TARGET_ROOT_TOKEN, roots.target);
}

function setMtime(p: string, m: MtimeSpec): void {
  if (m !== 'now') fs.utimesSync(p, m / 1000, m / 1000);
}

/** Writes an entry at `p` (which must not exist). Folders get their mode after their entries. */
export function writeModel(p: string, node: TreeModel, roots?: LinkRoots): void {
  if (node.t === 'file') {
    fs.writeFileSync(p, fileBytes(node.content));
    fs.chmodSync(p, node.mode);
    setMtime(p, node.mtime);
  } else if (node.t === 'link') {
    fs.symlinkSync(linkText(node.to, roots), p);
  } else {
    fs.mkdirSync(p);
    for (const [name, kid] of node.kids) writeModel(path.join(p, name), kid, roots);
    fs.chmodSync(p, node.mode);
  }
}

/** Writes a root folder's entries into `root` (created if missing). */
export function writeRoot(root: string, tree: DirModel, roots?: LinkRoots): void {
  fs.mkdirSync(root, { recursive: true });
  for (const [name, kid] of tree.kids) writeModel(path.join(root, name), kid, roots);
  fs.chmodSync(root, tree.mode);
}

/** Writes a file's bytes in place (same inode), even where its mode denies the owner writing. */
function writeInPlace(p: string, data: Buffer, keepMtime: boolean): void {
  const st = fs.lstatSync(p);
  if ((st.mode & 0o200) === 0) fs.chmodSync(p, st.mode | 0o200);
  fs.writeFileSync(p, data);
  if ((st.mode & 0o200) === 0) fs.chmodSync(p, st.mode & 0o7777);
  // As seconds, not Dates: a Date holds whole milliseconds and would move the mtime a little.
  if (keepMtime) fs.utimesSync(p, st.atimeMs / 1000, st.mtimeMs / 1000);
}

// ---------------------------------------------------------------------------------------------
// Edits

export function cloneModel<T extends TreeModel>(node: T): T {
  return structuredClone(node);
}

interface Located {
  path: string;
  node: TreeModel;
  parent: DirModel;
  name: string;
}

/** Every entry below `root` (not the root), in a stable order. */
export function entriesOf(root: DirModel): Located[] {
  const out: Located[] = [];
  const visit = (dir: DirModel, prefix: string): void => {
    for (const [name, node] of [...dir.kids].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const p = prefix ? `${prefix}/${name}` : name;
      out.push({ path: p, node, parent: dir, name });
      if (node.t === 'dir') visit(node, p);
    }
  };
  visit(root, '');
  return out;
}

function pick<T>(list: T[], at: number): T | undefined {
  return list.length ? list[at % list.length] : undefined;
}

/**
 * Applies an edit to the model and, with `disk`, to the folder on disk that the model describes
 * (in place: a rewrite keeps the inode, a move is a rename). Returns what it did, or null where it
 * did not fit (no entry of that type, the name taken, a folder into itself).
 */
export function applyEdit(
  root: DirModel,
  e: Edit,
  disk: string | null,
  roots?: LinkRoots,
): string | null {
  const all = entriesOf(root);
  const files = all.filter((x) => x.node.t === 'file');
  const abs = (rel: string): string => path.join(disk!, rel);
  const dirs: { path: string; node: DirModel }[] = [
    { path: '', node: root },
    ...all.flatMap((x) => (x.node.t === 'dir' ? [{ path: x.path, node: x.node }] : [])),
  ];
  const freeName = (dir: { path: string; node: DirModel }, name: string): string | null => {
    if (dir.path === '' && ROOT_ONLY_RESERVED.has(name)) return null;
    return dir.node.kids.has(name) ? null : name;
  };
  switch (e.op) {
    case 'rewrite': {
      const f = pick(files, e.at);
      if (!f || f.node.t !== 'file') return null;
      f.node.content = { ...e.content };
      if (e.mtime !== 'keep') f.node.mtime = e.mtime;
      if (disk) {
        writeInPlace(abs(f.path), fileBytes(f.node.content), e.mtime === 'keep');
        if (e.mtime !== 'keep') setMtime(abs(f.path), e.mtime);
      }
      return `rewrite ${show(f.path)} with ${showContent(e.content)}${e.mtime === 'keep' ? ', mtime put back' : ''}`;
    }
    case 'flipByte': {
      const f = pick(files, e.at);
      if (!f || f.node.t !== 'file' || f.node.content.len === 0) return null;
      f.node.content = { ...f.node.content, flips: [...f.node.content.flips, e.pos] };
      if (disk) writeInPlace(abs(f.path), fileBytes(f.node.content), true);
      return `invert byte ${e.pos % f.node.content.len} of ${show(f.path)}, mtime put back`;
    }
    case 'resize': {
      const f = pick(files, e.at);
      if (!f || f.node.t !== 'file') return null;
      const len = f.node.content.len > 4096 ? e.len : e.len % 5000;
      f.node.content = {
        ...f.node.content,
        len,
        flips: f.node.content.flips.filter((x) => x < len),
      };
      if (disk) writeInPlace(abs(f.path), fileBytes(f.node.content), false);
      return `resize ${show(f.path)} to ${len} B`;
    }
    case 'chmod': {
      const x = pick(
        all.filter((y) => y.node.t !== 'link'),
        e.at,
      );
      if (!x || x.node.t === 'link') return null;
      x.node.mode = e.mode;
      if (disk) fs.chmodSync(abs(x.path), e.mode);
      return `chmod ${e.mode.toString(8)} ${show(x.path)}`;
    }
    case 'touch': {
      const f = pick(files, e.at);
      if (!f || f.node.t !== 'file') return null;
      f.node.mtime = e.mtime;
      if (disk) {
        if (e.mtime === 'now') fs.utimesSync(abs(f.path), new Date(), new Date());
        else setMtime(abs(f.path), e.mtime);
      }
      return `touch ${show(f.path)} ${showMtime(e.mtime)}`;
    }
    case 'remove': {
      const x = pick(all, e.at);
      if (!x) return null;
      x.parent.kids.delete(x.name);
      if (disk) fs.rmSync(abs(x.path), { recursive: true, force: true });
      return `remove ${show(x.path)}`;
    }
    case 'replace': {
      const x = pick(all, e.at);
      if (!x) return null;
      x.parent.kids.set(x.name, cloneModel(e.node));
      if (disk) {
        fs.rmSync(abs(x.path), { recursive: true, force: true });
        writeModel(abs(x.path), e.node, roots);
      }
      return `replace ${show(x.path)} (${x.node.t}) with ${renderOne(e.node)}`;
    }
    case 'add': {
      const d = pick(dirs, e.dir)!;
      const name = freeName(d, e.name);
      if (name === null) return null;
      d.node.kids.set(name, cloneModel(e.node));
      const rel = d.path ? `${d.path}/${name}` : name;
      if (disk) writeModel(abs(rel), e.node, roots);
      return `add ${show(rel)}: ${renderOne(e.node)}`;
    }
    case 'move': {
      const x = pick(all, e.at);
      const d = pick(dirs, e.dir)!;
      if (!x) return null;
      if (d.path === x.path || d.path.startsWith(`${x.path}/`)) return null;
      const name = freeName(d, e.name);
      if (name === null) return null;
      const rel = d.path ? `${d.path}/${name}` : name;
      x.parent.kids.delete(x.name);
      d.node.kids.set(name, x.node);
      if (disk) fs.renameSync(abs(x.path), abs(rel));
      return `move ${show(x.path)} to ${show(rel)}`;
    }
    case 'relink': {
      const l = pick(
        all.filter((y) => y.node.t === 'link'),
        e.at,
      );
      if (!l || l.node.t !== 'link') return null;
      l.node.to = e.to;
      if (disk) {
        fs.unlinkSync(abs(l.path));
        fs.symlinkSync(linkText(e.to, roots), abs(l.path));
      }
      return `relink ${show(l.path)} → ${show(e.to)}`;
    }
    case 'folderToLink': {
      const d = pick(
        all.filter((y) => y.node.t === 'dir'),
        e.at,
      );
      if (!d) return null;
      const to = `${e.into}/${d.path}`;
      d.parent.kids.set(d.name, { t: 'link', to });
      if (disk) {
        fs.rmSync(abs(d.path), { recursive: true, force: true });
        fs.symlinkSync(linkText(to, roots), abs(d.path));
      }
      return `replace folder ${show(d.path)} with a link → ${show(to)}`;
    }
  }
}

/** Applies edits in order; returns one line per edit that applied. */
export function applyEdits(
  root: DirModel,
  edits: readonly Edit[],
  disk: string | null,
  roots?: LinkRoots,
): string[] {
  return edits.flatMap((e) => applyEdit(root, e, disk, roots) ?? []);
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** A name or link text as JSON, with a 255-byte run shortened so the report stays readable. */
export function show(s: string): string {
  const json = JSON.stringify(s);
  return json.replace(/(.)\1{20,}/gu, (run, ch: string) => `${ch}…×${[...run].length}`);
}

function showMtime(m: MtimeSpec): string {
  return m === 'now'
    ? 'now'
    : new Date(m).toISOString() + (m % 1 ? ` (+${(m % 1).toFixed(1)} ms)` : '');
}

function showContent(c: FileContent): string {
  return `${c.len} B seed ${c.seed}${c.flips.length ? ` flips ${c.flips.join(',')}` : ''}`;
}

function renderOne(node: TreeModel): string {
  if (node.t === 'file')
    return `file ${showContent(node.content)} mode ${node.mode.toString(8)} mtime ${showMtime(node.mtime)}`;
  if (node.t === 'link') return `link → ${show(node.to)}`;
  const kids = [...node.kids].map(([n, k]) => `${show(n)}: ${renderOne(k)}`);
  return `folder ${node.mode.toString(8)} {${kids.join('; ')}}`;
}

/** A tree as indented lines, one entry each. */
export function renderTree(root: DirModel, indent = '  '): string {
  const lines: string[] = [];
  const visit = (dir: DirModel, depth: number): void => {
    for (const [name, node] of dir.kids) {
      const pad = indent.repeat(depth + 1);
      if (node.t === 'dir') {
        lines.push(`${pad}${show(name)}/  folder ${node.mode.toString(8)}`);
        visit(node, depth + 1);
      } else lines.push(`${pad}${show(name)}  ${renderOne(node)}`);
    }
  };
  visit(root, 0);
  return lines.length ? lines.join('\n') : `${indent}(empty)`;
}
