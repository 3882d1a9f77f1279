import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packWalk, unpackWalk, walkTree } from './walk.js';
import { walkInWorker } from './walkInWorker.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-walk-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

const put = (rel: string, data = rel): void => {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), data);
};

describe('walkTree', () => {
  it('lists files, folders and symlinks with their stats, never following a link', () => {
    put('a.txt', 'hello');
    put('d/e/f.bin', 'x');
    fs.symlinkSync('..', path.join(root, 'd/up'));
    fs.symlinkSync('/nonexistent/target', path.join(root, 'dangling'));
    const w = walkTree(root, 'source');
    expect([...w.entries.keys()].sort()).toEqual([
      '',
      'a.txt',
      'd',
      'd/e',
      'd/e/f.bin',
      'd/up',
      'dangling',
    ]);
    expect(w.entries.get('a.txt')).toMatchObject({ type: 'file', size: 5 });
    expect(w.entries.get('d/up')).toMatchObject({ type: 'symlink', linkTarget: '..', size: 0 });
    expect(w.entries.get('dangling')).toMatchObject({
      type: 'symlink',
      linkTarget: '/nonexistent/target',
    });
    expect(w.skipped).toEqual([]);
  });

  it('skips a FIFO and a socket with a reason instead of hanging on them', () => {
    put('ok.txt');
    execFileSync('mkfifo', [path.join(root, 'pipe')]);
    const w = walkTree(root, 'source');
    expect(w.entries.has('pipe')).toBe(false);
    expect(w.skipped).toEqual([
      { side: 'source', path: 'pipe', reason: 'named pipe (FIFO): not synced', unknown: false },
    ]);
  });

  it('never lists the .tandem folder at the root, but does below it', () => {
    put('.tandem/lock');
    put('sub/.tandem/data');
    const w = walkTree(root, 'target');
    expect([...w.entries.keys()].sort()).toEqual(['', 'sub', 'sub/.tandem', 'sub/.tandem/data']);
  });

  it('applies gitignore patterns to files and folders', () => {
    put('build/out.o');
    put('src/a.ts');
    put('src/a.log');
    put('src/keep.log');
    const w = walkTree(root, 'source', { ignore: ['build/', '*.log', '!keep.log'] });
    expect([...w.entries.keys()].sort()).toEqual(['', 'src', 'src/a.ts', 'src/keep.log']);
  });

  it('reports names that collide under case folding or Unicode normalisation, and skips them for a folding target', () => {
    put('Readme');
    put('README');
    put('caf\u00e9');
    put('cafe\u0301');
    put('other');
    const exact = walkTree(root, 'source');
    expect(exact.collisions.map((g) => g.sort())).toEqual(
      expect.arrayContaining([['README', 'Readme'], ['cafe\u0301', 'caf\u00e9'].sort()]),
    );
    expect(exact.entries.has('Readme') && exact.entries.has('README')).toBe(true);
    const folding = walkTree(root, 'source', {
      targetNames: { foldCase: true, normalizeUnicode: true },
    });
    expect(folding.entries.has('Readme') || folding.entries.has('README')).toBe(false);
    expect(folding.entries.has('other')).toBe(true);
    expect(folding.skipped.map((s) => s.path).sort()).toEqual(
      ['README', 'Readme', 'cafe\u0301', 'caf\u00e9'].sort(),
    );
  });

  it('survives a round trip through the packed form and a worker thread', async () => {
    put('a b\nc.txt', 'x');
    fs.symlinkSync('a b\nc.txt', path.join(root, 'l'));
    const direct = walkTree(root, 'target');
    expect(unpackWalk(packWalk(direct)).entries).toEqual(direct.entries);
    expect((await walkInWorker(root, 'target', {})).entries).toEqual(direct.entries);
  });

  it('lists names that are not UTF-8 by their bytes, through a worker too, and skips them only for a target that cannot hold them', async () => {
    put('ok.txt');
    fs.writeFileSync(Buffer.from(`${root}/caf\xe9`, 'latin1'), 'latin-1');
    fs.mkdirSync(Buffer.from(`${root}/d\xff`, 'latin1'));
    fs.writeFileSync(Buffer.from(`${root}/d\xff/in`, 'latin1'), 'in');
    const w = walkTree(root, 'source');
    expect([...w.entries.keys()].sort()).toEqual([
      '',
      'caf\udce9',
      'd\udcff',
      'd\udcff/in',
      'ok.txt',
    ]);
    expect(w.entries.get('d\udcff/in')).toMatchObject({ type: 'file', size: 2 });
    expect(w.skipped).toEqual([]);
    expect((await walkInWorker(root, 'source', {})).entries).toEqual(w.entries);

    const textOnly = walkTree(root, 'source', {
      targetNames: { foldCase: false, normalizeUnicode: false, textOnly: true },
    });
    expect([...textOnly.entries.keys()].sort()).toEqual(['', 'ok.txt']);
    expect(textOnly.skipped.map((s) => [s.path, s.unknown])).toEqual([
      ['caf\udce9', false],
      ['d\udcff', false],
    ]);
    expect(textOnly.skipped[0]!.reason).toMatch(/takes only UTF-8 names/);
  });
});
