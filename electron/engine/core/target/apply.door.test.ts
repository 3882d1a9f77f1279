// Apply through the target's door, on the in-memory fake for what this kernel cannot produce: a
// target that folds case or Unicode form, a disk that fills at a chosen byte, a call that fails.
// The source is a real temp folder; plan and apply are the engine's own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ApplyResult, PlanItem } from '../../../shared/plan.js';
import { MemoryTargetFs, type MemoryTargetFsOptions } from '../../../testing/memoryTargetFs.js';
import { scanTargetFs } from '../../../testing/scanTargetFs.js';
import { createSchemeHasher, type SchemeHasher } from '../hash/hashScheme.js';
import { IdentifierIndex } from '../index/identifierIndex.js';
import { compareTrees } from '../plan/compare.js';
import type { NameRules } from '../scan/walk.js';
import { applyPlan } from './apply.js';
import { TMP_DIR, VERSIONS_DIR } from './stateFolder.js';
import { NodeTargetFs, type TargetFs } from './targetFs.js';

let h: SchemeHasher;
let dir: string;
let source: string;
let index: IdentifierIndex;

beforeAll(async () => {
  h = await createSchemeHasher('xxh128');
});
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-door-'));
  source = path.join(dir, 'source');
  fs.mkdirSync(source);
  index = new IdentifierIndex(path.join(dir, 'index.sqlite'));
});
afterEach(() => {
  index.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeSource(files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(source, rel)), { recursive: true });
    fs.writeFileSync(path.join(source, rel), content);
  }
}

function fill(t: MemoryTargetFs, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    const parts = rel.split('/');
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (!t.lstat(d)) t.mkdir(d, 0o755);
    }
    const f = t.create(rel, 0o644);
    f.write(Buffer.from(content), 0, Buffer.byteLength(content), 0);
    f.close();
  }
}

function rulesOf(o: MemoryTargetFsOptions): NameRules {
  return { foldCase: o.foldCase === true, normalizeUnicode: o.normalizeUnicode === true };
}

/** One plan of the source onto `t` (the target's ids taken as its baseline). */
function planOnto(t: TargetFs, rules: NameRules) {
  const src = scanTargetFs(new NodeTargetFs(source), h);
  const tgt = scanTargetFs(t, h, { asTarget: true });
  const items = compareTrees(src.tree, tgt.tree, { targetNames: rules });
  return { src, tgt, items };
}

function syncOnto(t: TargetFs, rules: NameRules): { items: PlanItem[]; result: ApplyResult } {
  const { src, tgt, items } = planOnto(t, rules);
  const result = applyPlan(
    {
      pair: { source, targetFs: t, nameRules: rules, index, mtimeGranularityMs: 1 },
      hasher: h,
      scheme: 'xxh128',
      source: src,
      target: tgt,
    },
    items,
  );
  return { items, result };
}

/** The source's files as the fake dumps them, for comparing spelling and bytes. */
function sourceDump(): Map<string, string> {
  const m = new MemoryTargetFs();
  const visit = (rel: string): void => {
    for (const n of fs.readdirSync(path.join(source, rel)).sort()) {
      const p = rel ? `${rel}/${n}` : n;
      const abs = path.join(source, p);
      if (fs.lstatSync(abs).isDirectory()) {
        m.mkdir(p, 0o755);
        visit(p);
      } else fill(m, { [p]: fs.readFileSync(abs, 'utf8') });
    }
  };
  visit('');
  return m.dump();
}

function userEntries(t: MemoryTargetFs): Map<string, string> {
  return new Map([...t.dump()].filter(([p]) => p !== '.tandem' && !p.startsWith('.tandem/')));
}

describe('apply on a target that folds names', () => {
  it('renames a folder whose name changed only in case, in one rename, and converges', () => {
    const opts = { foldCase: true };
    const t = new MemoryTargetFs(opts);
    fill(t, { 'Docs/a.txt': 'alpha', 'Docs/b.txt': 'beta', 'Docs/sub/c.txt': 'gamma' });
    writeSource({ 'docs/a.txt': 'alpha', 'docs/b.txt': 'beta', 'docs/sub/c.txt': 'gamma' });
    const { items, result } = syncOnto(t, rulesOf(opts));
    // One rename (and the times the fake's clock gave its entries); no delete, no copy.
    expect(
      items.filter((i) => i.kind !== 'metadata').map((i) => [i.kind, i.from ?? '', i.path]),
    ).toEqual([['rename', 'Docs', 'docs']]);
    expect(result.failed).toEqual([]);
    expect(userEntries(t)).toEqual(sourceDump());
    expect(planOnto(t, rulesOf(opts)).items).toEqual([]);
  });

  it('renames the folder and updates what changed inside it in the same run', () => {
    const opts = { foldCase: true };
    const t = new MemoryTargetFs(opts);
    fill(t, { 'Docs/a.txt': 'old', 'Docs/gone.txt': 'x', 'Docs/Keep.txt': 'k' });
    writeSource({ 'docs/a.txt': 'new', 'docs/new.txt': 'n', 'docs/keep.txt': 'k' });
    const { items, result } = syncOnto(t, rulesOf(opts));
    expect(items.find((i) => i.kind === 'rename' && i.path === 'docs')?.from).toBe('Docs');
    expect(result.failed).toEqual([]);
    expect(userEntries(t)).toEqual(sourceDump());
    expect(planOnto(t, rulesOf(opts)).items).toEqual([]);
  });

  it('renames a file whose name changed only in Unicode form on a normalising target', () => {
    const opts = { normalizeUnicode: true };
    const t = new MemoryTargetFs(opts);
    const nfd = 'cafe\u0301.txt';
    fill(t, { [nfd]: 'same' });
    writeSource({ ['caf\u00e9.txt']: 'same' });
    const { items, result } = syncOnto(t, rulesOf(opts));
    expect(items.filter((i) => i.kind !== 'metadata').map((i) => i.kind)).toEqual(['rename']);
    expect(result.failed).toEqual([]);
    expect([...userEntries(t).keys()]).toEqual(['caf\u00e9.txt']);
  });
});

describe('apply when the target disk fills', () => {
  const files = { 'a.txt': 'a'.repeat(400), 'b.txt': 'b'.repeat(400), 'c.txt': 'c'.repeat(400) };

  it('stops at the full disk, keeps the complete files that fit, leaves no temp file, and converges once space is freed', () => {
    const t = new MemoryTargetFs({ capacityBytes: 1000 });
    writeSource(files);
    const { result } = syncOnto(t, rulesOf({}));
    expect(result.stopped).toMatch(/disk is full/);
    expect(result.failed).toEqual([
      { path: 'c.txt', message: 'not written: the target disk is full' },
    ]);
    expect(result.applied).toBe(2);
    const held = userEntries(t);
    expect(held.get('a.txt')).toBe(`file:${files['a.txt']}`);
    expect(held.get('b.txt')).toBe(`file:${files['b.txt']}`);
    expect(held.has('c.txt')).toBe(false);
    expect(t.readdir(TMP_DIR)).toEqual([]);
    t.capacityBytes = undefined;
    const again = syncOnto(t, rulesOf({}));
    expect(again.result.failed).toEqual([]);
    expect(again.result.stopped).toBeNull();
    expect(userEntries(t)).toEqual(sourceDump());
  });

  it('stops the run when a rename into place hits a full disk, and lists what was not attempted', () => {
    let fail = true;
    const t = new MemoryTargetFs({
      fault: (op, rel) => (fail && op === 'rename' && rel === 'b.txt' ? 'ENOSPC' : null),
    });
    writeSource({ ...files, 'z/late.txt': 'late' });
    const { result } = syncOnto(t, rulesOf({}));
    expect(result.stopped).toMatch(/disk is full/);
    expect(result.failed.map((f) => f.path)).toEqual(['b.txt']);
    expect(userEntries(t).has('b.txt')).toBe(false);
    expect(t.readdir(TMP_DIR)).toEqual([]);
    fail = false;
    expect(syncOnto(t, rulesOf({})).result.failed).toEqual([]);
    expect(userEntries(t)).toEqual(sourceDump());
  });

  it('stops, instead of failing one item, when keeping a replaced file as a version hits a full disk', () => {
    const t = new MemoryTargetFs({
      fault: (op, rel) => (op === 'link' && rel.startsWith(VERSIONS_DIR) ? 'ENOSPC' : null),
    });
    fill(t, { 'a.txt': 'old a', 'b.txt': 'old b' });
    writeSource({ 'a.txt': 'new a', 'b.txt': 'new b' });
    const { result } = syncOnto(t, rulesOf({}));
    expect(result.stopped).toMatch(/disk is full/);
    // Nothing was replaced without its old content kept first.
    expect(userEntries(t).get('a.txt')).toBe('file:old a');
    expect(userEntries(t).get('b.txt')).toBe('file:old b');
  });
});

describe('the door refuses links on the way', () => {
  it('never writes through a symlink that replaced a folder since the scan', () => {
    const t = new MemoryTargetFs();
    fill(t, { 'd/x.txt': 'x' });
    writeSource({ 'd/x.txt': 'x', 'd/y.txt': 'y' });
    const { src, tgt, items } = planOnto(t, rulesOf({}));
    // Between plan and apply, someone swaps the folder for a link.
    t.unlink('d/x.txt');
    t.rmdir('d');
    t.symlink('/elsewhere', 'd');
    const result = applyPlan(
      {
        pair: { source, targetFs: t, nameRules: rulesOf({}), index, mtimeGranularityMs: 1 },
        hasher: h,
        scheme: 'xxh128',
        source: src,
        target: tgt,
      },
      items,
    );
    expect(result.failed).toContainEqual({
      path: 'd/y.txt',
      message: 'a symlink is in the way at d; nothing was written through it',
    });
    expect(result.applied).toBe(0);
    expect([...t.dump()].filter(([p]) => !p.startsWith('.tandem'))).toEqual([
      ['d', 'link:/elsewhere'],
    ]);
  });
});
