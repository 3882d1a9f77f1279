// Random folder trees for property tests (fast-check): a small model of files (sparse ones too,
// and hard links: one FileModel object under several names), folders, symlinks, extended
// attributes and, on a target, FIFOs and sockets, with odd names; edits that turn one tree into
// another (on the model alone, or on the model and a folder on disk at once); and a rendering a
// person can read in a failure report.
// No vitest import: engine code and benchmarks may use it too.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { escapedByte, fsPath } from './byteNames.js';
import { seededBytes } from './rng.js';
import { writeXattr } from './xattrs.js';

/**
 * A file's bytes: `len` seeded bytes with some of them inverted (a same-size edit). A sparse
 * file is zeros but for two seeded runs (SPARSE_RUNS), and is written with holes there.
 */
export interface FileContent {
  seed: number;
  len: number;
  flips: number[];
  sparse?: boolean;
}

/** Extended attributes: user.* names to values as hex. */
export type XattrsModel = Record<string, string>;

/** An mtime to set (epoch ms), or the one the write left ('now': inside the racy window). */
export type MtimeSpec = number | 'now';

/** A file; the same object under several names of a tree is one inode (a hard-link group). */
export interface FileModel {
  t: 'file';
  content: FileContent;
  mode: number;
  mtime: MtimeSpec;
  xattrs?: XattrsModel;
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
  xattrs?: XattrsModel;
}

export type SpecialKind = 'fifo' | 'socket';

/** A FIFO or socket: only ever on a target (a source's are skipped, with a reason). */
export interface SpecialModel {
  t: 'special';
  kind: SpecialKind;
}

export type TreeModel = FileModel | LinkModel | DirModel | SpecialModel;

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
  | { op: 'folderToLink'; at: number; into: typeof SOURCE_ROOT_TOKEN | typeof TARGET_ROOT_TOKEN }
  /** another name for a file (a hard link), possibly in another folder */
  | { op: 'hardlink'; at: number; dir: number; name: string }
  /** one attribute of a file or folder set, or removed (null) */
  | { op: 'xattr'; at: number; name: string; value: string | null }
  /** a FIFO or socket, in place of an entry or at a new name (targetEditArb only) */
  | { op: 'special'; at: number; dir: number; name: string; kind: SpecialKind; inPlace: boolean };

/** The pair's own folder and the ignore file: names a root cannot hold in these tests. */
const ROOT_ONLY_RESERVED = new Set(['.tandem', '.tandemignore']);

/** Latin-1 é, a byte UTF-8 never uses, control bytes, a cut-off sequence, UTF-8 and latin-1 é. */
const BYTE_NAME_LIST = [
  `caf${escapedByte(0xe9)}`,
  escapedByte(0xff),
  '\x01ctl\x1f',
  `x${escapedByte(0xe2)}${escapedByte(0x82)}`,
  `mixed-é-${escapedByte(0xe9)}`,
];

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
  ...BYTE_NAME_LIST,
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
  ...[`caf${escapedByte(0xe9)}`, `dir/${escapedByte(0xff)}`],
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

const nameChar = fc.constantFrom(
  ...['a', 'b', 'Z', '0', ' ', '-', '.', 'é', 'e\u0301', '🎉', '\n'],
  ...[escapedByte(0xe9), escapedByte(0xff)],
);
const generatedName = fc
  .string({ unit: nameChar, minLength: 1, maxLength: 8 })
  .filter((n) => n !== '.' && n !== '..');

export const nameArb: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ODD_NAMES) },
  { weight: 1, arbitrary: generatedName },
);

/** Where a sparse file holds data; the rest is holes. Fixed offsets: a resize keeps the prefix. */
export const SPARSE_RUNS = [
  { at: 0, len: 50_000 },
  { at: 1 << 20, len: 70_000 },
] as const;

/** What a tree may hold beyond files, folders and symlinks (hard links are always there). */
export interface TreeKinds {
  /** files with holes, 1.1 to 2.5 MB apparent (heavier to hash and compare than most files) */
  sparse: boolean;
  /** user.* attributes on files and folders (where the filesystem holds them) */
  xattrs: boolean;
}

export interface TreeArbitraries {
  /** an entry: a file, a link, or a folder of at most 3 entries, nested at most 2 deep */
  node: fc.Arbitrary<TreeModel>;
  /** a root folder of at most `maxKids` entries, none named like the pair's own files */
  root(maxKids?: number): fc.Arbitrary<DirModel>;
  /** an edit of either side (no special files) */
  edit: fc.Arbitrary<Edit>;
  /** an edit of a target: any edit, or a FIFO or socket */
  targetEdit: fc.Arbitrary<Edit>;
  /** another name for a file: how a source gets its hard-link groups */
  hardlink: fc.Arbitrary<Edit>;
}

const XATTR_NAMES = ['user.tag', 'user.empty', 'user.blob', 'user.long'];
// The longest value 500 B: all four names at that size still fit ext4's one 4 KiB attribute
// block (four of 1,000 B did not: ENOSPC while the test wrote its own tree).
const XATTR_VALUES = ['', '726564', '00ff10', 'ab'.repeat(500)];

export function treeArbitraries(kinds: TreeKinds): TreeArbitraries {
  const denseArb: fc.Arbitrary<FileContent> = fc.record({
    // few seeds: files with the same bytes are common, so moves have several candidates
    seed: fc.nat(5),
    len: fc.oneof(
      { weight: 2, arbitrary: fc.constant(0) },
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) },
      { weight: 3, arbitrary: fc.integer({ min: 65, max: 4096 }) },
      // more than one 128 KiB chunk: an update that changes some chunks and keeps others
      { weight: 1, arbitrary: fc.integer({ min: 130_000, max: 300_000 }) },
    ),
    flips: fc.constant<number[]>([]),
  });
  // One file in 20 is sparse: each costs MiBs of hashing and comparing.
  const contentArb: fc.Arbitrary<FileContent> = kinds.sparse
    ? fc.oneof(
        { weight: 19, arbitrary: denseArb },
        {
          weight: 1,
          arbitrary: fc.record({
            seed: fc.nat(5),
            len: fc.integer({ min: 1_100_000, max: 2_500_000 }),
            flips: fc.constant<number[]>([]),
            sparse: fc.constant(true),
          }),
        },
      )
    : denseArb;
  // Four files and folders in five have attributes, where the kind is on (fc.option: 1 in 5 none).
  const xattrsArb: fc.Arbitrary<XattrsModel | undefined> = kinds.xattrs
    ? fc
        .option(
          fc.dictionary(fc.constantFrom(...XATTR_NAMES), fc.constantFrom(...XATTR_VALUES), {
            minKeys: 1,
            maxKeys: 3,
          }),
        )
        .map((x) => x ?? undefined)
    : fc.constant(undefined);

  const mtimeArb: fc.Arbitrary<MtimeSpec> = fc.constantFrom(...MTIMES);

  const fileArb: fc.Arbitrary<FileModel> = fc
    .record({
      t: fc.constant('file' as const),
      content: contentArb,
      mode: fc.constantFrom(...FILE_MODES),
      mtime: mtimeArb,
      xattrs: xattrsArb,
    })
    .map(withoutUndefined);

  const linkArb: fc.Arbitrary<LinkModel> = fc.record({
    t: fc.constant('link' as const),
    to: fc.constantFrom(...LINK_TEXTS),
  });

  const dirOf = (
    kid: fc.Arbitrary<TreeModel>,
    names: fc.Arbitrary<string>,
    maxKids: number,
  ): fc.Arbitrary<DirModel> =>
    fc
      .record({
        mode: fc.constantFrom(...DIR_MODES),
        kids: fc.uniqueArray(fc.tuple(names, kid), { maxLength: maxKids, selector: ([n]) => n }),
        xattrs: xattrsArb,
      })
      .map(({ mode, kids, xattrs }) =>
        withoutUndefined({ t: 'dir' as const, mode, kids: new Map(kids), xattrs }),
      );

  const node: fc.Arbitrary<TreeModel> = fc.letrec<{ node: TreeModel }>((tie) => ({
    node: fc.oneof(
      { maxDepth: 2, depthSize: 'small', withCrossShrink: true },
      fileArb,
      fileArb,
      linkArb,
      dirOf(tie('node'), nameArb, 3),
    ),
  })).node;

  const root = (maxKids = 5): fc.Arbitrary<DirModel> => {
    const rootName = nameArb.filter((n) => !ROOT_ONLY_RESERVED.has(n));
    // The roots' own mode and attributes are the user's, not synced.
    return dirOf(node, rootName, maxKids).map(({ xattrs: _, ...d }) => ({ ...d, mode: 0o755 }));
  };

  const hardlink: fc.Arbitrary<Edit> = fc.record({
    op: fc.constant('hardlink' as const),
    at: fc.nat(),
    dir: fc.nat(),
    name: nameArb,
  });

  const edit: fc.Arbitrary<Edit> = fc.oneof(
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
    fc.record({ op: fc.constant('replace' as const), at: fc.nat(), node }),
    fc.record({ op: fc.constant('add' as const), dir: fc.nat(), name: nameArb, node }),
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
    hardlink,
    ...(kinds.xattrs
      ? [
          fc.record({
            op: fc.constant('xattr' as const),
            at: fc.nat(),
            name: fc.constantFrom(...XATTR_NAMES),
            value: fc.option(fc.constantFrom(...XATTR_VALUES)),
          }),
        ]
      : []),
  );

  const special: fc.Arbitrary<Edit> = fc.record({
    op: fc.constant('special' as const),
    at: fc.nat(),
    dir: fc.nat(),
    name: nameArb,
    kind: fc.constantFrom<SpecialKind>('fifo', 'socket'),
    inPlace: fc.boolean(),
  });
  const targetEdit = fc.oneof({ weight: 6, arbitrary: edit }, { weight: 1, arbitrary: special });

  return { node, root, edit, targetEdit, hardlink };
}

/** The object without its undefined fields (a model prints and compares more plainly so). */
function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------
// The model on disk

export function fileBytes(c: FileContent): Buffer {
  let b: Buffer;
  if (c.sparse) {
    b = Buffer.alloc(c.len);
    for (const [i, r] of SPARSE_RUNS.entries())
      if (r.at < c.len) seededBytes(`tree/${c.seed}/${i}`, r.len).copy(b, r.at, 0, c.len - r.at);
  } else b = seededBytes(`tree/${c.seed}`, c.len);
  for (const f of c.flips) if (c.len > 0) b[f % c.len] = b[f % c.len]! ^ 0xff;
  return b;
}

/** The absolute roots that SOURCE_ROOT_TOKEN and TARGET_ROOT_TOKEN stand for. */
export interface LinkRoots {
  source: string;
  target: string;
}

/** How a model is written to disk. */
export interface WriteOptions {
  roots?: LinkRoots;
  /** set the models' attributes (off where the filesystem holds no user.* attributes) */
  xattrs?: boolean;
  /** makes a FIFO or socket at `p` (Node makes neither by itself, let alone synchronously) */
  makeSpecial?: (p: string | Buffer, kind: SpecialKind) => void;
}

function linkText(to: string, roots: LinkRoots | undefined): string {
  if (!roots) return to;
  return to.replace(SOURCE_ROOT_TOKEN, roots.source).replace(TARGET_ROOT_TOKEN, roots.target);
}

function setMtime(p: string, m: MtimeSpec): void {
  if (m !== 'now') fs.utimesSync(fsPath(p), m / 1000, m / 1000);
}

const PAGE = 4096;
const ZERO_PAGE = Buffer.alloc(PAGE);

/** Writes a file's bytes into `p` (truncating it: same inode), a sparse one with holes. */
function writeContent(p: string, c: FileContent): void {
  const data = fileBytes(c);
  if (!c.sparse) return fs.writeFileSync(fsPath(p), data);
  const fd = fs.openSync(fsPath(p), 'w');
  try {
    for (let at = 0; at < data.length; at += PAGE) {
      const page = data.subarray(at, at + PAGE);
      if (!page.equals(ZERO_PAGE.subarray(0, page.length)))
        fs.writeSync(fd, page, 0, page.length, at);
    }
    fs.ftruncateSync(fd, data.length);
  } finally {
    fs.closeSync(fd);
  }
}

function setXattrs(p: string, x: XattrsModel | undefined, opts: WriteOptions): void {
  if (!opts.xattrs || !x) return;
  for (const [name, hex] of Object.entries(x)) writeXattr(p, name, Buffer.from(hex, 'hex'));
}

function makeSpecial(p: string, kind: SpecialKind, opts: WriteOptions): void {
  if (!opts.makeSpecial) throw new Error(`writing a ${kind} needs WriteOptions.makeSpecial`);
  opts.makeSpecial(fsPath(p), kind);
}

/**
 * Writes an entry at `p` (which must not exist). Folders get their mode after their entries; a
 * file already written under another name (`written`: the same FileModel) becomes a hard link.
 */
export function writeModel(
  p: string,
  node: TreeModel,
  opts: WriteOptions = {},
  written = new Map<FileModel, string>(),
): void {
  if (node.t === 'file') {
    const first = written.get(node);
    if (first !== undefined) return fs.linkSync(fsPath(first), fsPath(p));
    writeContent(p, node.content);
    setXattrs(p, node.xattrs, opts);
    fs.chmodSync(fsPath(p), node.mode);
    setMtime(p, node.mtime);
    written.set(node, p);
  } else if (node.t === 'link') {
    fs.symlinkSync(fsPath(linkText(node.to, opts.roots)), fsPath(p));
  } else if (node.t === 'special') {
    makeSpecial(p, node.kind, opts);
  } else {
    fs.mkdirSync(fsPath(p));
    for (const [name, kid] of node.kids) writeModel(path.join(p, name), kid, opts, written);
    setXattrs(p, node.xattrs, opts);
    fs.chmodSync(fsPath(p), node.mode);
  }
}

/** Writes a root folder's entries into `root` (created if missing). */
export function writeRoot(root: string, tree: DirModel, opts: WriteOptions = {}): void {
  fs.mkdirSync(root, { recursive: true });
  const written = new Map<FileModel, string>();
  for (const [name, kid] of tree.kids) writeModel(path.join(root, name), kid, opts, written);
  fs.chmodSync(root, tree.mode);
}

/** Runs `fn` on `p` with the owner's write bit on (as writes and user.* attributes need). */
function asWritable(p: string, fn: () => void): void {
  const st = fs.lstatSync(fsPath(p));
  if ((st.mode & 0o200) === 0) fs.chmodSync(fsPath(p), st.mode | 0o200);
  try {
    fn();
  } finally {
    if ((st.mode & 0o200) === 0) fs.chmodSync(fsPath(p), st.mode & 0o7777);
  }
}

/** Writes a file's bytes in place (same inode), even where its mode denies the owner writing. */
function writeInPlace(p: string, content: FileContent, keepMtime: boolean): void {
  const st = fs.lstatSync(fsPath(p));
  asWritable(p, () => writeContent(p, content));
  // As seconds, not Dates: a Date holds whole milliseconds and would move the mtime a little.
  if (keepMtime) fs.utimesSync(fsPath(p), st.atimeMs / 1000, st.mtimeMs / 1000);
}

/** How many FIFOs and sockets a model holds (a target's). */
export function specialsIn(root: DirModel): Record<SpecialKind, number> {
  const n = { fifo: 0, socket: 0 };
  for (const x of entriesOf(root)) if (x.node.t === 'special') n[x.node.kind]++;
  return n;
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
  opts: WriteOptions = {},
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
        writeInPlace(abs(f.path), f.node.content, e.mtime === 'keep');
        if (e.mtime !== 'keep') setMtime(abs(f.path), e.mtime);
      }
      return `rewrite ${show(f.path)} with ${showContent(e.content)}${e.mtime === 'keep' ? ', mtime put back' : ''}`;
    }
    case 'flipByte': {
      const f = pick(files, e.at);
      if (!f || f.node.t !== 'file' || f.node.content.len === 0) return null;
      f.node.content = { ...f.node.content, flips: [...f.node.content.flips, e.pos] };
      if (disk) writeInPlace(abs(f.path), f.node.content, true);
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
      if (disk) writeInPlace(abs(f.path), f.node.content, false);
      return `resize ${show(f.path)} to ${len} B`;
    }
    case 'chmod': {
      const x = pick(
        all.filter((y) => y.node.t === 'file' || y.node.t === 'dir'),
        e.at,
      );
      if (!x || (x.node.t !== 'file' && x.node.t !== 'dir')) return null;
      x.node.mode = e.mode;
      if (disk) fs.chmodSync(fsPath(abs(x.path)), e.mode);
      return `chmod ${e.mode.toString(8)} ${show(x.path)}`;
    }
    case 'touch': {
      const f = pick(files, e.at);
      if (!f || f.node.t !== 'file') return null;
      f.node.mtime = e.mtime;
      if (disk) {
        if (e.mtime === 'now') fs.utimesSync(fsPath(abs(f.path)), new Date(), new Date());
        else setMtime(abs(f.path), e.mtime);
      }
      return `touch ${show(f.path)} ${showMtime(e.mtime)}`;
    }
    case 'remove': {
      const x = pick(all, e.at);
      if (!x) return null;
      x.parent.kids.delete(x.name);
      if (disk) fs.rmSync(fsPath(abs(x.path)), { recursive: true, force: true });
      return `remove ${show(x.path)}`;
    }
    case 'replace': {
      const x = pick(all, e.at);
      if (!x) return null;
      x.parent.kids.set(x.name, cloneModel(e.node));
      if (disk) {
        fs.rmSync(fsPath(abs(x.path)), { recursive: true, force: true });
        writeModel(abs(x.path), e.node, opts);
      }
      return `replace ${show(x.path)} (${x.node.t}) with ${renderOne(e.node)}`;
    }
    case 'add': {
      const d = pick(dirs, e.dir)!;
      const name = freeName(d, e.name);
      if (name === null) return null;
      d.node.kids.set(name, cloneModel(e.node));
      const rel = d.path ? `${d.path}/${name}` : name;
      if (disk) writeModel(abs(rel), e.node, opts);
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
      if (disk) fs.renameSync(fsPath(abs(x.path)), fsPath(abs(rel)));
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
        fs.unlinkSync(fsPath(abs(l.path)));
        fs.symlinkSync(fsPath(linkText(e.to, opts.roots)), fsPath(abs(l.path)));
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
        fs.rmSync(fsPath(abs(d.path)), { recursive: true, force: true });
        fs.symlinkSync(fsPath(linkText(to, opts.roots)), fsPath(abs(d.path)));
      }
      return `replace folder ${show(d.path)} with a link → ${show(to)}`;
    }
    case 'hardlink': {
      const f = pick(files, e.at);
      const d = pick(dirs, e.dir)!;
      if (!f || f.node.t !== 'file') return null;
      const name = freeName(d, e.name);
      if (name === null) return null;
      const rel = d.path ? `${d.path}/${name}` : name;
      d.node.kids.set(name, f.node);
      if (disk) fs.linkSync(fsPath(abs(f.path)), fsPath(abs(rel)));
      return `hard link ${show(rel)} to ${show(f.path)}`;
    }
    case 'xattr': {
      const x = pick(
        all.filter((y) => y.node.t === 'file' || y.node.t === 'dir'),
        e.at,
      );
      if (!x || (x.node.t !== 'file' && x.node.t !== 'dir')) return null;
      const attrs = { ...x.node.xattrs };
      if (e.value === null) {
        if (!(e.name in attrs)) return null;
        delete attrs[e.name];
      } else attrs[e.name] = e.value;
      if (Object.keys(attrs).length) x.node.xattrs = attrs;
      else delete x.node.xattrs;
      if (disk && opts.xattrs) {
        const value = e.value === null ? null : Buffer.from(e.value, 'hex');
        asWritable(abs(x.path), () => writeXattr(abs(x.path), e.name, value));
      }
      return e.value === null
        ? `remove attribute ${e.name} of ${show(x.path)}`
        : `set attribute ${e.name} of ${show(x.path)} to ${e.value.length / 2} B`;
    }
    case 'special': {
      const node: SpecialModel = { t: 'special', kind: e.kind };
      if (e.inPlace) {
        const x = pick(all, e.at);
        if (!x) return null;
        x.parent.kids.set(x.name, node);
        if (disk) {
          fs.rmSync(fsPath(abs(x.path)), { recursive: true, force: true });
          makeSpecial(abs(x.path), e.kind, opts);
        }
        return `replace ${show(x.path)} (${x.node.t}) with a ${e.kind}`;
      }
      const d = pick(dirs, e.dir)!;
      const name = freeName(d, e.name);
      if (name === null) return null;
      const rel = d.path ? `${d.path}/${name}` : name;
      d.node.kids.set(name, node);
      if (disk) makeSpecial(abs(rel), e.kind, opts);
      return `add ${show(rel)}: a ${e.kind}`;
    }
  }
}

/** Applies edits in order; returns one line per edit that applied. */
export function applyEdits(
  root: DirModel,
  edits: readonly Edit[],
  disk: string | null,
  opts: WriteOptions = {},
): string[] {
  return edits.flatMap((e) => applyEdit(root, e, disk, opts) ?? []);
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
  const flips = c.flips.length ? ` flips ${c.flips.join(',')}` : '';
  return `${c.len} B${c.sparse ? ' sparse' : ''} seed ${c.seed}${flips}`;
}

function showXattrs(x: XattrsModel | undefined): string {
  if (!x) return '';
  const each = Object.entries(x).map(([n, v]) => `${n}=${v.length > 16 ? `${v.length / 2} B` : v}`);
  return ` xattrs {${each.join(', ')}}`;
}

function renderOne(node: TreeModel): string {
  if (node.t === 'file')
    return `file ${showContent(node.content)} mode ${node.mode.toString(8)} mtime ${showMtime(node.mtime)}${showXattrs(node.xattrs)}`;
  if (node.t === 'link') return `link → ${show(node.to)}`;
  if (node.t === 'special') return node.kind === 'fifo' ? 'FIFO' : 'socket';
  const kids = [...node.kids].map(([n, k]) => `${show(n)}: ${renderOne(k)}`);
  return `folder ${node.mode.toString(8)}${showXattrs(node.xattrs)} {${kids.join('; ')}}`;
}

/** A tree as indented lines, one entry each; a file's further names say which name they share. */
export function renderTree(root: DirModel, indent = '  '): string {
  const lines: string[] = [];
  const firstName = new Map<FileModel, string>();
  const visit = (dir: DirModel, depth: number, prefix: string): void => {
    for (const [name, node] of dir.kids) {
      const pad = indent.repeat(depth + 1);
      const rel = prefix ? `${prefix}/${name}` : name;
      if (node.t === 'dir') {
        lines.push(
          `${pad}${show(name)}/  folder ${node.mode.toString(8)}${showXattrs(node.xattrs)}`,
        );
        visit(node, depth + 1, rel);
      } else if (node.t === 'file' && firstName.has(node)) {
        lines.push(`${pad}${show(name)}  hard link to ${show(firstName.get(node)!)}`);
      } else {
        if (node.t === 'file') firstName.set(node, rel);
        lines.push(`${pad}${show(name)}  ${renderOne(node)}`);
      }
    }
  };
  visit(root, 0, '');
  return lines.length ? lines.join('\n') : `${indent}(empty)`;
}
