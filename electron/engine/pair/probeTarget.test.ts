import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { holdsRawBytes } from './pair.js';
import { NodeTargetFs } from '../core/target/targetFs.js';
import { MemoryTargetFs } from '../../testing/memoryTargetFs.js';
import { makeSandbox, type Sandbox } from '../../testing/sandbox.js';

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox('probe');
});
afterEach(() => sb.cleanup());

describe('probing whether a target holds names that are not UTF-8', () => {
  it('finds that this kernel’s filesystem holds them', () => {
    const t = new NodeTargetFs(sb.target);
    t.mkdir('p', 0o700);
    expect(holdsRawBytes(t, 'p')).toBe(true);
  });

  it('finds that a filesystem refusing them (APFS, exFAT: EILSEQ) cannot', () => {
    const t = new MemoryTargetFs({ textOnly: true });
    t.mkdir('p', 0o700);
    expect(holdsRawBytes(t, 'p')).toBe(false);
  });
});
