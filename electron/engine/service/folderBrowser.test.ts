import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { browseFolder } from './folderBrowser.js';

const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-browse-')));
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

describe('browseFolder', () => {
  it('lists subfolders and links to folders, hidden ones last, files and dangling links left out', () => {
    for (const d of ['b', 'A', '.cache', 'c']) fs.mkdirSync(path.join(base, d));
    fs.writeFileSync(path.join(base, 'file.txt'), 'x');
    fs.symlinkSync(path.join(base, 'c'), path.join(base, 'link-to-c'));
    fs.symlinkSync(path.join(base, 'nowhere'), path.join(base, 'dangling'));
    const l = browseFolder(base);
    expect(l.path).toBe(base);
    expect(l.parent).toBe(path.dirname(base));
    expect(l.folders).toEqual(['A', 'b', 'c', 'link-to-c', '.cache']);
  });

  it('starts at the home folder and stops at the root', () => {
    expect(browseFolder(null).path).toBe(os.homedir());
    expect(browseFolder('/').parent).toBeNull();
  });

  it.each([
    ['relative/path', /not an absolute path/],
    [path.join(base, 'missing'), /folder not found/],
    [path.join(base, 'file.txt'), /not a folder/],
  ])('refuses %s with a sentence', (p, msg) => {
    expect(() => browseFolder(p)).toThrow(msg);
  });
});
