// Tests for the target-equals-source check: equal trees pass, content/structure differences
// fail, `.tandem/` at the target root is ignored, metadata differences only warn.
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyTree } from './verify.js';

let root = '';
let src = '';
let dst = '';

function make(base: string): void {
  mkdirSync(join(base, 'a/b'), { recursive: true });
  writeFileSync(join(base, 'a/b/f.bin'), Buffer.alloc(5 * 1024 * 1024, 7));
  writeFileSync(join(base, 'top.txt'), 'hello');
  symlinkSync('top.txt', join(base, 'link'));
  // Both trees get the same times: written a second apart on a busy machine, they would differ.
  utimesSync(join(base, 'a/b/f.bin'), 1_600_000_000, 1_600_000_000);
  utimesSync(join(base, 'top.txt'), 1_600_000_000, 1_600_000_000);
}

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'bench-verify-'));
  src = join(root, 's');
  dst = join(root, 't');
  make(src);
  make(dst);
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('verifyTree', () => {
  it('accepts equal trees and ignores .tandem at the target root only', () => {
    mkdirSync(join(dst, '.tandem'));
    writeFileSync(join(dst, '.tandem/journal'), 'x');
    expect(verifyTree(src, dst)).toEqual({ errors: [], warnings: [] });
    mkdirSync(join(dst, 'a/.tandem'));
    expect(verifyTree(src, dst).errors).toEqual(['only in target: a/.tandem']);
  });
  it('finds a changed byte deep in a large file, a missing file and a changed symlink', () => {
    const big = Buffer.alloc(5 * 1024 * 1024, 7);
    big[4_500_000] = 8;
    writeFileSync(join(dst, 'a/b/f.bin'), big);
    rmSync(join(dst, 'top.txt'));
    rmSync(join(dst, 'link'));
    symlinkSync('elsewhere', join(dst, 'link'));
    const errors = verifyTree(src, dst).errors;
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([
        'symlink target differs: link',
        'missing in target: top.txt',
        'content differs: a/b/f.bin',
      ]),
    );
  });
  it('reports mode and mtime differences as warnings, not errors', () => {
    chmodSync(join(dst, 'top.txt'), 0o600);
    utimesSync(join(dst, 'top.txt'), 1_700_000_000, 1_700_000_000);
    const r = verifyTree(src, dst);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toHaveLength(2);
  });
});
