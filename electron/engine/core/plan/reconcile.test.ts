// The three-way rule, by table: every pair of {unchanged, created, modified, deleted,
// type-changed, renamed} on A and B, the first sync (no baseline), folders and their contents,
// renames, and unreadable paths. Each row states its decisions as lines, written out by hand.
import { describe, expect, it } from 'vitest';
import {
  reconcile,
  type Decision,
  type Direction,
  type Listing,
  type ReconcileEntry,
} from './reconcile.js';

/** A listing from a spec: 'dir', 'file:<id>' or 'symlink:<id>' per path. */
function listing(spec: Record<string, string>): Map<string, ReconcileEntry> {
  const m = new Map<string, ReconcileEntry>();
  for (const [p, v] of Object.entries(spec)) {
    const [type, id = ''] = v.split(':') as [ReconcileEntry['type'], string?];
    m.set(p, { type, id });
  }
  return m;
}

const arrow = (d: Direction): string => (d === 'aToB' ? 'A→B' : 'B→A');
const show = (e?: ReconcileEntry): string =>
  !e ? 'none' : e.type === 'dir' ? 'dir' : `${e.type}:${e.id}`;

/** One line per decision: `path [direction] action [what the path will hold] [details]`. */
function line(d: Decision): string {
  switch (d.action) {
    case 'record':
      return `${d.path} record ${show(d.entry)}`;
    case 'conflict':
      return [
        `${d.path} conflict ${d.kind}`,
        ...(d.movedTo !== undefined ? [`movedTo ${d.movedTo}`] : []),
        ...(d.inside.length ? [`inside ${d.inside.join(',')}`] : []),
      ].join(' ');
    case 'move':
      return `${d.path} ${arrow(d.direction)} move from ${d.from} ${show(d.entry)}`;
    case 'create':
    case 'update':
    case 'replaceType':
    case 'delete':
      return [
        `${d.path} ${arrow(d.direction)} ${d.action}`,
        ...(d.entry ? [show(d.entry)] : []),
        ...(d.kept ? ['kept'] : []),
      ].join(' ');
  }
}

/** Reconciles the specs and renders the decisions, checking that each one shows what it saw. */
function decide(
  a: Record<string, string>,
  b: Record<string, string>,
  base: Record<string, string>,
  protectedPaths?: string[],
): string[] {
  const input = { a: listing(a), b: listing(b), base: listing(base) };
  const out = reconcile(
    protectedPaths ? { ...input, protectedPaths: new Set(protectedPaths) } : input,
  );
  for (const [p, d] of out) {
    expect(d.path).toBe(p);
    const at = (l: Listing): ReconcileEntry | undefined => l.get(p);
    expect([d.a, d.b, d.base]).toEqual([at(input.a), at(input.b), at(input.base)]);
  }
  return [...out.values()].map(line);
}

// Every row starts from a baseline holding file p (content o), as both sides last agreed:
// created adds file q (content an / bn), modified rewrites p (a1 / b1), deleted removes p,
// type-changed makes p a symlink (la / lb), renamed moves p to q.
const KINDS = ['unchanged', 'created', 'modified', 'deleted', 'typeChanged', 'renamed'] as const;
type Kind = (typeof KINDS)[number];
const BASE = { p: 'file:o' };
function sideAfter(kind: Kind, s: 'a' | 'b'): Record<string, string> {
  switch (kind) {
    case 'unchanged':
      return { p: 'file:o' };
    case 'created':
      return { p: 'file:o', q: `file:${s}n` };
    case 'modified':
      return { p: `file:${s}1` };
    case 'deleted':
      return {};
    case 'typeChanged':
      return { p: `symlink:l${s}` };
    case 'renamed':
      return { q: 'file:o' };
  }
}

const TABLE: [Kind, Kind, string[]][] = [
  ['unchanged', 'unchanged', []],
  ['unchanged', 'created', ['q B→A create file:bn']],
  ['unchanged', 'modified', ['p B→A update file:b1']],
  ['unchanged', 'deleted', ['p B→A delete']],
  ['unchanged', 'typeChanged', ['p B→A replaceType symlink:lb']],
  ['unchanged', 'renamed', ['q B→A move from p file:o']],

  ['created', 'unchanged', ['q A→B create file:an']],
  ['created', 'created', ['q conflict bothCreated']],
  ['created', 'modified', ['p B→A update file:b1', 'q A→B create file:an']],
  ['created', 'deleted', ['p B→A delete', 'q A→B create file:an']],
  ['created', 'typeChanged', ['p B→A replaceType symlink:lb', 'q A→B create file:an']],
  // B moved p onto the name A just used: the name is the conflict, p goes as B asked.
  ['created', 'renamed', ['p B→A delete', 'q conflict bothCreated']],

  ['modified', 'unchanged', ['p A→B update file:a1']],
  ['modified', 'created', ['p A→B update file:a1', 'q B→A create file:bn']],
  ['modified', 'modified', ['p conflict bothModified']],
  ['modified', 'deleted', ['p conflict deletedChanged']],
  ['modified', 'typeChanged', ['p conflict typeChanged']],
  // A rename against an edit: the edit is a conflict with the deletion of p, the new name flows.
  ['modified', 'renamed', ['p conflict deletedChanged movedTo q', 'q B→A create file:o']],

  ['deleted', 'unchanged', ['p A→B delete']],
  ['deleted', 'created', ['p A→B delete', 'q B→A create file:bn']],
  ['deleted', 'modified', ['p conflict deletedChanged']],
  ['deleted', 'deleted', ['p record none']],
  ['deleted', 'typeChanged', ['p conflict deletedChanged']],
  // B still wanted the file A deleted, under another name: it stays, under that name.
  ['deleted', 'renamed', ['p record none', 'q B→A create file:o']],

  ['typeChanged', 'unchanged', ['p A→B replaceType symlink:la']],
  ['typeChanged', 'created', ['p A→B replaceType symlink:la', 'q B→A create file:bn']],
  ['typeChanged', 'modified', ['p conflict typeChanged']],
  ['typeChanged', 'deleted', ['p conflict deletedChanged']],
  ['typeChanged', 'typeChanged', ['p conflict typeChanged']],
  ['typeChanged', 'renamed', ['p conflict deletedChanged movedTo q', 'q B→A create file:o']],

  ['renamed', 'unchanged', ['q A→B move from p file:o']],
  ['renamed', 'created', ['p A→B delete', 'q conflict bothCreated']],
  ['renamed', 'modified', ['p conflict deletedChanged movedTo q', 'q A→B create file:o']],
  ['renamed', 'deleted', ['p record none', 'q A→B create file:o']],
  ['renamed', 'typeChanged', ['p conflict deletedChanged movedTo q', 'q A→B create file:o']],
  ['renamed', 'renamed', ['p record none', 'q record file:o']],
];

describe('reconcile: one path, every change on A against every change on B', () => {
  it('has a row for each of the 36 pairs', () => {
    const rows = new Set(TABLE.map(([a, b]) => `${a}/${b}`));
    expect(rows.size).toBe(36);
    for (const a of KINDS) for (const b of KINDS) expect(rows.has(`${a}/${b}`)).toBe(true);
  });

  it.each(TABLE)('A %s, B %s', (ka, kb, expected) => {
    expect(decide(sideAfter(ka, 'a'), sideAfter(kb, 'b'), BASE)).toEqual(expected);
  });

  it.each<[string, Record<string, string>, Record<string, string>, string[]]>([
    ['both modified to the same content', { p: 'file:x' }, { p: 'file:x' }, ['p record file:x']],
    [
      'both made it the same symlink',
      { p: 'symlink:l' },
      { p: 'symlink:l' },
      ['p record symlink:l'],
    ],
    [
      'both created the same file',
      { p: 'file:o', q: 'file:n' },
      { p: 'file:o', q: 'file:n' },
      ['q record file:n'],
    ],
    ['both made it a folder', { p: 'dir' }, { p: 'dir' }, ['p record dir']],
    ['A made it a folder', { p: 'dir' }, { p: 'file:o' }, ['p A→B replaceType dir']],
    [
      'A made it a folder, B a symlink',
      { p: 'dir' },
      { p: 'symlink:l' },
      ['p conflict typeChanged'],
    ],
    [
      'renamed apart: A to q, B to r',
      { q: 'file:o' },
      { r: 'file:o' },
      ['p record none', 'q A→B create file:o', 'r B→A create file:o'],
    ],
    [
      'A renamed p to q, where B created the same file',
      { q: 'file:o' },
      { p: 'file:o', q: 'file:o' },
      ['p A→B delete', 'q record file:o'],
    ],
    ['A created an empty folder', { p: 'file:o', q: 'dir' }, { p: 'file:o' }, ['q A→B create dir']],
  ])('%s', (_, a, b, expected) => {
    expect(decide(a, b, BASE)).toEqual(expected);
  });

  it('a symlink changed on one side is updated on the other', () => {
    expect(decide({ l: 'symlink:y' }, { l: 'symlink:x' }, { l: 'symlink:x' })).toEqual([
      'l A→B update symlink:y',
    ]);
  });
});

describe('reconcile: a first sync (no baseline)', () => {
  it.each<[string, Record<string, string>, Record<string, string>, string[]]>([
    ['both empty', {}, {}, []],
    ['a file on A only', { p: 'file:f' }, {}, ['p A→B create file:f']],
    ['a folder on B only', {}, { p: 'dir' }, ['p B→A create dir']],
    ['a symlink on A only', { p: 'symlink:s' }, {}, ['p A→B create symlink:s']],
    ['the same file', { p: 'file:f' }, { p: 'file:f' }, ['p record file:f']],
    ['two files', { p: 'file:f' }, { p: 'file:g' }, ['p conflict bothCreated']],
    ['the same symlink', { p: 'symlink:s' }, { p: 'symlink:s' }, ['p record symlink:s']],
    ['a symlink and a file', { p: 'symlink:s' }, { p: 'file:s' }, ['p conflict bothCreated']],
    ['two folders', { p: 'dir' }, { p: 'dir' }, ['p record dir']],
    ['a file and an empty folder', { p: 'file:f' }, { p: 'dir' }, ['p conflict bothCreated']],
    [
      'a folder on both, B holding one more file',
      { d: 'dir', 'd/x': 'file:1' },
      { d: 'dir', 'd/x': 'file:1', 'd/y': 'file:2' },
      ['d record dir', 'd/x record file:1', 'd/y B→A create file:2'],
    ],
    [
      'a file on A where B has a folder with files',
      { p: 'file:f' },
      { p: 'dir', 'p/x': 'file:1', 'p/y': 'dir', 'p/y/z': 'file:2' },
      ['p conflict bothCreated inside p/x,p/y,p/y/z'],
    ],
  ])('%s', (_, a, b, expected) => {
    expect(decide(a, b, {})).toEqual(expected);
  });
});

describe('reconcile: folders and what they hold', () => {
  const TREE = {
    d: 'dir',
    'd/sub': 'dir',
    'd/sub/z': 'file:o3',
    'd/x': 'file:o1',
    'd/y': 'file:o2',
  };

  it('a folder deleted on A with an edit inside on B: kept, the edit a conflict, the rest deleted', () => {
    expect(decide({}, { ...TREE, 'd/x': 'file:x1' }, TREE)).toEqual([
      'd B→A create dir kept',
      'd/sub A→B delete',
      'd/sub/z A→B delete',
      'd/x conflict deletedChanged',
      'd/y A→B delete',
    ]);
  });

  it('a folder deleted on A with a file created deep inside on B: both folders kept, the file flows', () => {
    expect(decide({}, { ...TREE, 'd/sub/new': 'file:n' }, TREE)).toEqual([
      'd B→A create dir kept',
      'd/sub B→A create dir kept',
      'd/sub/new B→A create file:n',
      'd/sub/z A→B delete',
      'd/x A→B delete',
      'd/y A→B delete',
    ]);
  });

  it('a folder deleted on B while A only deleted inside it: deleted', () => {
    const { 'd/x': _, ...rest } = TREE;
    expect(decide(rest, {}, TREE)).toEqual([
      'd B→A delete',
      'd/sub B→A delete',
      'd/sub/z B→A delete',
      'd/x record none',
      'd/y B→A delete',
    ]);
  });

  it('a folder deleted on both', () => {
    expect(decide({}, {}, TREE)).toEqual([
      'd record none',
      'd/sub record none',
      'd/sub/z record none',
      'd/x record none',
      'd/y record none',
    ]);
  });

  it('a folder created on both with different files: merged, the same name with other content a conflict', () => {
    const kept = { k: 'file:k' };
    expect(
      decide(
        { ...kept, d: 'dir', 'd/x': 'file:1', 'd/y': 'file:2' },
        { ...kept, d: 'dir', 'd/y': 'file:3', 'd/z': 'file:4' },
        kept,
      ),
    ).toEqual([
      'd record dir',
      'd/x A→B create file:1',
      'd/y conflict bothCreated',
      'd/z B→A create file:4',
    ]);
  });

  it('a folder replaced by a file on A with an edit inside on B: one conflict, the edit waiting in it', () => {
    expect(decide({ d: 'file:f' }, { ...TREE, 'd/x': 'file:x1' }, TREE)).toEqual([
      'd conflict typeChanged inside d/x',
      'd/sub A→B delete',
      'd/sub/z A→B delete',
      'd/y A→B delete',
    ]);
  });

  it('a folder replaced by a file on A with nothing changed inside on B: replaced', () => {
    expect(decide({ d: 'file:f' }, TREE, TREE)).toEqual([
      'd A→B replaceType file:f',
      'd/sub A→B delete',
      'd/sub/z A→B delete',
      'd/x A→B delete',
      'd/y A→B delete',
    ]);
  });

  it('a file made a folder of files on A and edited on B: one conflict holding the folder', () => {
    expect(
      decide(
        { p: 'dir', 'p/sub': 'dir', 'p/sub/y': 'file:1', 'p/x': 'file:2' },
        { p: 'file:b1' },
        { p: 'file:o' },
      ),
    ).toEqual(['p conflict typeChanged inside p/sub,p/sub/y,p/x']);
  });

  it('a folder B kept for its edit, inside a folder A replaced by a symlink', () => {
    const base = { d: 'dir', 'd/e': 'dir', 'd/e/x': 'file:o' };
    expect(decide({ d: 'symlink:s' }, { ...base, 'd/e/x': 'file:x1' }, base)).toEqual([
      'd conflict typeChanged inside d/e,d/e/x',
    ]);
  });
});

describe('reconcile: renames', () => {
  const TREE = { d: 'dir', 'd/x': 'file:o1', 'd/y': 'file:o2' };
  const MOVED = { e: 'dir', 'e/x': 'file:o1', 'e/y': 'file:o2' };

  it('a folder renamed on A: its files move on B', () => {
    expect(decide(MOVED, TREE, TREE)).toEqual([
      'd A→B delete',
      'e A→B create dir',
      'e/x A→B move from d/x file:o1',
      'e/y A→B move from d/y file:o2',
    ]);
  });

  it('a folder renamed on A, a file in it edited on B', () => {
    expect(decide(MOVED, { ...TREE, 'd/x': 'file:x1' }, TREE)).toEqual([
      'd B→A create dir kept',
      'd/x conflict deletedChanged movedTo e/x',
      'e A→B create dir',
      'e/x A→B create file:o1',
      'e/y A→B move from d/y file:o2',
    ]);
  });

  it('two files of the same content renamed: paired in path order', () => {
    const base = { a: 'file:o', b: 'file:o' };
    expect(decide({ c: 'file:o', d: 'file:o' }, base, base)).toEqual([
      'c A→B move from a file:o',
      'd A→B move from b file:o',
    ]);
  });

  it('a rename into a folder B replaced by a file waits for that conflict', () => {
    const base = { f: 'dir', p: 'file:o' };
    expect(decide({ f: 'dir', 'f/p': 'file:o' }, { f: 'file:g', p: 'file:o' }, base)).toEqual([
      'f conflict typeChanged inside f/p',
      'p A→B delete',
    ]);
  });

  it('renames on both of two files to each other’s old names', () => {
    const base = { x: 'file:1', y: 'file:2' };
    // A swapped the two names; B left them alone.
    expect(decide({ x: 'file:2', y: 'file:1' }, base, base)).toEqual([
      'x A→B update file:2',
      'y A→B update file:1',
    ]);
  });
});

describe('reconcile: unreadable paths and bad input', () => {
  const TREE = { d: 'dir', 'd/u': 'file:o2', 'd/x': 'file:o1' };

  it('decides nothing at or below an unreadable path', () => {
    expect(decide({ ...TREE, 'd/u': 'file:u1' }, TREE, TREE, ['d/u'])).toEqual([]);
    expect(decide({}, TREE, TREE, ['d'])).toEqual([]);
  });

  it('does not delete a folder that holds an unreadable path', () => {
    expect(decide(TREE, {}, TREE, ['d/u'])).toEqual(['d/x B→A delete']);
  });

  it('keeps a folder for changes beside an unreadable path as for any change', () => {
    expect(decide({}, { ...TREE, 'd/n': 'file:n' }, TREE, ['d/u'])).toEqual([
      'd B→A create dir kept',
      'd/n B→A create file:n',
      'd/x A→B delete',
    ]);
  });

  it('refuses a listing whose entry has no folder to hold it', () => {
    expect(() => decide({ 'x/y': 'file:1' }, {}, {})).toThrow(/A lists x\/y but no folder x/);
    expect(() => decide({}, { x: 'file:1', 'x/y': 'file:1' }, {})).toThrow(/B lists x\/y/);
  });

  it('takes the root as no entry', () => {
    expect(decide({ '': 'dir', p: 'file:1' }, { '': 'dir' }, { '': 'dir' })).toEqual([
      'p A→B create file:1',
    ]);
  });
});
