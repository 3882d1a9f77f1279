// Extended attributes in tests, read and written without the engine's code: through
// @napi-rs/xattr where a path is valid UTF-8 (the addon takes strings and uses the l*xattr calls),
// through getfattr/setfattr and a link of a valid name where it is not (the tools follow it).
// Only user.* and trusted.* attributes are read: the ones a test sets.
// No vitest import: engine code and benchmarks may use it too.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fsPath, hasEscapedBytes } from './byteNames.js';

type XattrAddon = typeof import('@napi-rs/xattr');
let addon: XattrAddon | undefined;
const xattr = (): XattrAddon =>
  (addon ??= createRequire(import.meta.url)('@napi-rs/xattr') as XattrAddon);

const wanted = (n: string): boolean => n.startsWith('user.') || n.startsWith('trusted.');

/** Runs `fn` with a path of a valid name that leads to `abs` (itself where it is valid). */
function viaValidName<T>(abs: string, fn: (p: string) => T): T {
  if (!hasEscapedBytes(abs)) return fn(abs);
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-xattr-probe-'));
  try {
    const via = path.join(probe, 'entry');
    fs.symlinkSync(fsPath(abs), via);
    return fn(via);
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** The user.* and trusted.* attributes of a file or folder, `name=hex` in name order, `;` between. */
export function readXattrs(abs: string): string {
  if (!hasEscapedBytes(abs)) {
    const x = xattr();
    return x
      .listAttributesSync(abs)
      .filter(wanted)
      .sort()
      .map((n) => `${n}=${x.getAttributeSync(abs, n)?.toString('hex') ?? ''}`)
      .join(';');
  }
  return viaValidName(abs, (via) => {
    const dump = execFileSync('getfattr', ['--absolute-names', '-d', '-e', 'hex', '-m', '-', via], {
      encoding: 'utf8',
    });
    const pairs: string[] = [];
    for (const line of dump.split('\n')) {
      const m = /^([^#=][^=]*)=0x([0-9a-f]*)$/.exec(line) ?? /^([^#=][^=]*)$/.exec(line);
      if (m && wanted(m[1]!)) pairs.push(`${m[1]}=${m[2] ?? ''}`);
    }
    return pairs.sort().join(';');
  });
}

/** Sets (or, with null, removes where present) one attribute of a file or folder. */
export function writeXattr(abs: string, name: string, value: Buffer | null): void {
  if (
    value === null &&
    !readXattrs(abs)
      .split(';')
      .some((a) => a.startsWith(`${name}=`))
  )
    return;
  if (!hasEscapedBytes(abs)) {
    if (value === null) xattr().removeAttributeSync(abs, name);
    else xattr().setAttributeSync(abs, name, value);
    return;
  }
  viaValidName(abs, (via) => {
    const args =
      value === null
        ? ['-x', name, via]
        : ['-n', name, ...(value.length ? ['-v', `0x${value.toString('hex')}`] : []), via];
    execFileSync('setfattr', args, { stdio: 'pipe' });
  });
}

/** Whether getfattr and setfattr are installed (Debian's attr): names that are not UTF-8 need them. */
export function xattrToolsInstalled(): boolean {
  try {
    execFileSync('setfattr', ['--version'], { stdio: 'ignore' });
    execFileSync('getfattr', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether files in `dir` can hold user.* attributes (tmpfs before Linux 6.6 cannot), and this
 * module can set them on any name: getfattr and setfattr are installed.
 */
export function userXattrsSupported(dir: string): boolean {
  if (!xattrToolsInstalled()) return false;
  const p = path.join(dir, `.xattr-probe-${process.pid}`);
  try {
    fs.writeFileSync(p, '');
    xattr().setAttributeSync(p, 'user.probe', 'x');
    return xattr().getAttributeSync(p, 'user.probe')?.toString() === 'x';
  } catch {
    return false;
  } finally {
    fs.rmSync(p, { force: true });
  }
}
