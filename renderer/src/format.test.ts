// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
// formatBytes is shared with the CLI and tested in electron/shared/format.test.ts.
import {
  basename,
  entryDetail,
  formatDuration,
  formatRelative,
  isAddress,
  joinPath,
} from './format.js';

describe('formatRelative', () => {
  const now = 1_700_000_000_000;
  it.each([
    [now - 10_000, 'just now'],
    [now - 120_000, '2 min ago'],
    [now - 3 * 3600_000, '3 h ago'],
    [now - 26 * 3600_000, 'yesterday'],
    [now - 5 * 86400_000, '5 days ago'],
  ])('%d → %s', (t, text) => expect(formatRelative(t, now)).toBe(text));
});

describe('formatDuration', () => {
  it.each([
    [2, '2 s'],
    [150, '3 min'],
    [4800, '1 h 20 min'],
  ])('%d s → %s', (s, text) => expect(formatDuration(s)).toBe(text));
});

describe('paths', () => {
  it('takes the last component of either separator, keeping roots', () => {
    expect(basename('/home/ada/Photos')).toBe('Photos');
    expect(basename('/home/ada/Photos backup/')).toBe('Photos backup');
    expect(basename('C:\\Users\\ada\\Docs')).toBe('Docs');
    expect(basename('/')).toBe('/');
  });
  it('joins with the path’s own separator', () => {
    expect(joinPath('/home/ada', 'Photos')).toBe('/home/ada/Photos');
    expect(joinPath('/', 'srv')).toBe('/srv');
    expect(joinPath('C:\\Users', 'ada')).toBe('C:\\Users\\ada');
    expect(joinPath('nas:/srv', 'photos')).toBe('nas:/srv/photos');
  });
  it('tells an address on another machine from a path here', () => {
    for (const a of ['nas:/backup', 'ada@nas:photos', 'nas:', 'ssh://ada@nas:2222/srv'])
      expect(isAddress(a), a).toBe(true);
    for (const p of ['/home/ada/a:b', 'C:\\Users', 'C:/Users', 'photos', './a:b', ''])
      expect(isAddress(p), p).toBe(false);
  });
});

describe('entryDetail', () => {
  const file = { type: 'file' as const, id: 'aa', size: 3, mtimeMs: 1, mode: 0o644 };
  const link = { ...file, type: 'symlink' as const, size: 0, linkTarget: '../readme.md' };
  it.each([
    [
      'a new symlink says where it points',
      { kind: 'create' as const, source: link },
      'link → ../readme.md',
    ],
    [
      'a deleted symlink, its own text',
      { kind: 'delete' as const, target: link },
      'link → ../readme.md',
    ],
    [
      'another name of a hard-link group',
      { kind: 'create' as const, source: file, linkTo: 'a.txt' },
      'hard link to a.txt',
    ],
    [
      'a special file on the target',
      { kind: 'delete' as const, target: { ...file, type: 'special' as const } },
      'special file (holds no data)',
    ],
    [
      'what metadata differs',
      {
        kind: 'metadata' as const,
        source: file,
        target: file,
        differs: ['mode' as const, 'xattr' as const],
      },
      'mode, xattr differ',
    ],
    [
      'a file where a special file was',
      {
        kind: 'replaceType' as const,
        source: file,
        target: { ...file, type: 'special' as const },
      },
      'replaces a special file (holds no data)',
    ],
    [
      'a link where a folder was',
      { kind: 'replaceType' as const, source: link, target: { ...file, type: 'dir' as const } },
      'link → ../readme.md; replaces a folder',
    ],
    [
      'a link whose time differs',
      { kind: 'metadata' as const, source: link, target: link, differs: ['mtime' as const] },
      'link → ../readme.md; mtime differs',
    ],
    ['a plain file says nothing more', { kind: 'create' as const, source: file }, null],
  ])('%s', (_name, item, want) => {
    expect(entryDetail(item)).toBe(want);
  });
});
