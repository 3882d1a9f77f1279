// The pair registry's file: pairs written before a setting existed load with a stated value, and
// new pairs get the app's defaults (or, registered by `tandem watch`, what the pair's index says).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IdentifierIndex } from '../core/index/identifierIndex.js';
import { xattrModule } from '../core/scan/xattrs.js';
import { indexFileOf, pairKey, resolvePair } from '../pair/pair.js';
import { makeSandbox, type Sandbox } from '../../testing/sandbox.js';
import { isRemoteTarget, PairRegistry } from './pairRegistry.js';

let sb: Sandbox;
beforeEach(() => {
  sb = makeSandbox('registry');
});
afterEach(() => sb.cleanup());

/** pairs.json as a release before the fidelity settings wrote it. */
function writeOldRegistry(id: string): void {
  const old = {
    version: 1,
    pairs: [
      {
        scheme: 'xxh128',
        ignore: ['*.tmp'],
        schedule: { kind: 'onChange' },
        policy: { autoApprove: false, autoApproveDeletes: false, maxAutoDeletes: 100 },
        retentionDays: 30,
        scrubDays: 0,
        noDeletes: false,
        id,
        source: sb.source,
        target: sb.target,
        paused: false,
        createdAt: 1_700_000_000_000,
      },
    ],
    settings: { pausedAll: false },
  };
  fs.writeFileSync(path.join(sb.home, 'pairs.json'), JSON.stringify(old, null, 2));
}

describe('PairRegistry', () => {
  it('loads a pair saved without the fidelity settings with them off, as it synced before', () => {
    const { key } = resolvePair(sb.source, sb.target);
    writeOldRegistry(key);
    const [p] = new PairRegistry(sb.home).list();
    expect(p).toMatchObject({
      id: key,
      ignore: ['*.tmp'],
      xattrs: false,
      acls: false,
      hardLinks: false,
      owners: false,
    });
  });

  it('loads an old pair with what its index remembers where the CLI turned a setting on', () => {
    const { key } = resolvePair(sb.source, sb.target);
    writeOldRegistry(key);
    // `tandem sync -H -A` on this pair left these in its index.
    fs.mkdirSync(path.join(sb.home, 'pairs'));
    const index = new IdentifierIndex(indexFileOf(sb.home, key));
    index.setMeta('hardLinks', '1');
    index.setMeta('xattrs', JSON.stringify({ xattrs: false, acls: true }));
    index.close();
    const reg = new PairRegistry(sb.home);
    expect(reg.get(key)).toMatchObject({
      xattrs: false,
      acls: true,
      hardLinks: true,
      owners: false,
    });
    // Saved from now on: the next write records them, and the index no longer decides.
    reg.update(key, { scrubDays: 7 });
    const stored = JSON.parse(fs.readFileSync(path.join(sb.home, 'pairs.json'), 'utf8')) as {
      pairs: Record<string, unknown>[];
    };
    expect(stored.pairs[0]).toMatchObject({ acls: true, hardLinks: true, owners: false });
  });

  it('gives a pair made in the app every setting on (attributes where they can be read), and one from `tandem watch` what its index says', () => {
    const reg = new PairRegistry(sb.home);
    const made = reg.add({ source: sb.source, target: sb.target });
    const attrs = xattrModule() !== null;
    expect(made).toMatchObject({ xattrs: attrs, acls: attrs, hardLinks: true, owners: true });
    const other = path.join(sb.base, 'other');
    fs.mkdirSync(other);
    const watched = reg.add({ source: other, target: path.join(sb.base, 'copy') }, 'remembered');
    expect(watched).toMatchObject({ xattrs: false, acls: false, hardLinks: false, owners: false });
    const chosen = reg.add(
      { source: sb.outside, target: path.join(sb.base, 'copy2'), hardLinks: false },
      'newPair',
    );
    expect(chosen.hardLinks).toBe(false);
  });

  it('stores a remote target as its address, with the key the CLI uses, and checks its ssh settings', () => {
    const reg = new PairRegistry(sb.home);
    const made = reg.add({
      source: sb.source,
      target: 'me@nas:/backup/photos',
      rsh: 'ssh -p 2222',
      remoteTandem: '/opt/tandem/bin/tandem',
    });
    expect(made).toMatchObject({
      target: 'me@nas:/backup/photos',
      id: pairKey(fs.realpathSync(sb.source), 'me@nas:/backup/photos'),
      xattrs: false,
      acls: false,
      hardLinks: false,
      owners: false,
    });
    expect(isRemoteTarget(made.target)).toBe(true);
    expect(isRemoteTarget(sb.target)).toBe(false);
    // Nothing is made here for the address.
    expect(fs.readdirSync(sb.base).some((n) => n.includes(':'))).toBe(false);
    // Over the app's API the settings name ssh and a path, never another command.
    expect(() => reg.update(made.id, { rsh: 'sh -c "rm -rf ~"' })).toThrow(/must run ssh/);
    expect(() => reg.update(made.id, { remoteTandem: 'tandem; rm -rf ~' })).toThrow(
      /must be a path/,
    );
    expect(() => reg.update(made.id, { rsh: 'ssh "unclosed' })).toThrow(/unclosed/);
    expect(reg.update(made.id, { rsh: '/usr/bin/ssh -F cfg' }).rsh).toBe('/usr/bin/ssh -F cfg');
    expect(() => reg.add({ source: sb.source, target: 'nas:/x', hardLinks: true })).toThrow(
      /not yet kept for a folder on another machine/,
    );
  });
});
