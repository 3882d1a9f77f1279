import { describe, expect, it } from 'vitest';
import {
  menuText,
  pairLabel,
  statusLine,
  trayIconFile,
  trayMenu,
  trayState,
  truncate,
  type TrayMenuItem,
} from './trayStatus.js';
import { pair, status } from './statusFixtures.js';
import type { PairState } from '../shared/syncApi.js';

const s = (state: PairState, pending = 0) => status(`p-${state}-${pending}`, { state, pending });

describe('trayState', () => {
  it.each([
    ['no pairs', [], false, 'inSync'],
    ['all in sync', [s('inSync'), s('inSync')], false, 'inSync'],
    [
      'error beats everything',
      [s('inSync'), s('syncing'), s('pending', 2), s('error')],
      false,
      'error',
    ],
    ['error beats pause-all', [s('error')], true, 'error'],
    ['syncing beats pending', [s('pending', 3), s('syncing')], false, 'syncing'],
    ['scanning counts as syncing', [s('inSync'), s('scanning')], false, 'syncing'],
    ['starting counts as syncing', [s('starting')], false, 'syncing'],
    ['pending beats paused', [s('paused'), s('pending', 1)], false, 'pending'],
    ['pending count without the state', [s('inSync', 4)], false, 'pending'],
    ['pending beats pause-all', [s('paused', 2)], true, 'pending'],
    ['paused beats in sync', [s('inSync'), s('paused')], false, 'paused'],
    ['pause-all', [s('inSync')], true, 'paused'],
    ['pause-all with no pairs', [], true, 'paused'],
  ] as const)('%s', (_name, statuses, pausedAll, want) => {
    expect(trayState(statuses, pausedAll)).toBe(want);
  });
});

describe('pairLabel', () => {
  it.each([
    ['/home/u/Photos', '/media/backup/Backup', 'Photos → Backup'],
    ['/home/u/Documents', '/media/usb/Documents', 'Documents → usb/Documents'],
    ['/home/u/Music/', '/mnt/b/Music/', 'Music → b/Music'],
    ['C:\\Users\\u\\Photos', 'D:\\Backup', 'Photos → Backup'],
    ['/', '/mnt/root', '/ → root'],
  ])('%s, %s → %s', (source, target, want) => {
    expect(pairLabel({ source, target })).toBe(want);
  });

  it('draws a two-way pair with the both-ways arrow the app uses', () => {
    expect(pairLabel({ source: '/home/u/Work', target: '/media/usb/Stick', mode: 'twoWay' })).toBe(
      'Work ⇄ Stick',
    );
    expect(pairLabel({ source: '/a/Work', target: '/b/Work', mode: 'mirror' })).toBe(
      'Work → b/Work',
    );
  });
});

describe('statusLine', () => {
  const photos = pair('a', '/home/u/Photos', '/media/b/Backup');
  const docs = pair('b', '/home/u/Documents', '/media/b/Docs');
  const music = pair('c', '/home/u/Music', '/media/b/Music');
  const three = [photos, docs, music];

  it.each([
    ['no pairs', [], [], false, 'No pairs yet — open Tandem to add one'],
    ['one in sync', [photos], [status('a')], false, 'Photos → Backup in sync'],
    ['all in sync', three, [status('a'), status('b'), status('c')], false, 'All 3 pairs in sync'],
    [
      'one error',
      three,
      [status('a'), status('b', { state: 'error', lastError: 'the target disk is full' })],
      false,
      'Documents → Docs: the target disk is full',
    ],
    [
      'an error without a message',
      [photos],
      [status('a', { state: 'error' })],
      false,
      'Photos → Backup: stopped with an error',
    ],
    [
      'two errors',
      three,
      [status('a', { state: 'error' }), status('b', { state: 'error' })],
      false,
      '2 pairs have problems — open Tandem to see them',
    ],
    ['syncing one', three, [status('a', { state: 'syncing' })], false, 'Syncing Photos → Backup…'],
    [
      'scanning one',
      three,
      [status('c', { state: 'scanning' })],
      false,
      'Checking Music → b/Music…',
    ],
    [
      'syncing two',
      three,
      [status('a', { state: 'syncing' }), status('b', { state: 'scanning' })],
      false,
      'Syncing 2 pairs…',
    ],
    [
      'pending',
      three,
      [status('a', { state: 'pending', pending: 1 }), status('b', { pending: 1 })],
      false,
      '2 changes pending',
    ],
    ['one pending', three, [status('a', { pending: 1 })], false, '1 change pending'],
    [
      'pending with conflicts',
      three,
      [status('a', { state: 'pending', pending: 5, conflicts: 2 })],
      false,
      '5 changes pending, 2 needing your approval',
    ],
    [
      'two-way conflicts are choices to make, counted apart from approvals',
      [{ ...photos, mode: 'twoWay' as const }, docs, music],
      [
        status('a', { state: 'pending', pending: 4, conflicts: 3 }),
        status('b', { state: 'pending', pending: 2, conflicts: 1 }),
      ],
      false,
      '6 changes pending, 3 conflicts to resolve, 1 needing your approval',
    ],
    [
      'one two-way conflict',
      [{ ...photos, mode: 'twoWay' as const }],
      [status('a', { state: 'pending', pending: 1, conflicts: 1 })],
      false,
      '1 change pending, 1 conflict to resolve',
    ],
    ['pause-all', three, [status('a'), status('b')], true, 'Paused'],
    [
      'every pair paused',
      [photos, docs],
      [status('a', { state: 'paused' }), status('b', { state: 'paused' })],
      false,
      'Paused',
    ],
    [
      'some pairs paused',
      three,
      [status('a', { state: 'paused' }), status('b'), status('c')],
      false,
      '1 of 3 pairs paused',
    ],
  ] as const)('%s', (_name, pairs, statuses, pausedAll, want) => {
    expect(statusLine(statuses, pairs, pausedAll)).toBe(want);
  });
});

describe('menuText', () => {
  it('doubles ampersands where they mark mnemonics', () => {
    expect(menuText('R&D → Backup', 'linux')).toBe('R&&D → Backup');
    expect(menuText('R&D → Backup', 'win32')).toBe('R&&D → Backup');
    expect(menuText('R&D → Backup', 'darwin')).toBe('R&D → Backup');
  });
});

describe('trayIconFile', () => {
  it('uses template images on macOS and themed ones elsewhere', () => {
    expect(trayIconFile('error', 'darwin', true)).toBe('tray-error-Template.png');
    expect(trayIconFile('syncing', 'linux', true)).toBe('tray-syncing-dark.png');
    expect(trayIconFile('inSync', 'win32', false)).toBe('tray-inSync-light.png');
  });
});

describe('truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly ten', 11, 'exactly ten'],
    ['a longer sentence', 8, 'a longe…'],
    ['Fotos → Sicherung 📷📷', 20, 'Fotos → Sicherung 📷📷'],
    ['📷📷📷📷', 3, '📷📷…'],
  ])('%j to %d', (text, max, want) => expect(truncate(text, max)).toBe(want));
});

describe('trayMenu', () => {
  const labels = (items: TrayMenuItem[]) => items.map((i) => ('type' in i ? '—' : i.label));
  const model = (pairs = [pair('a', '/home/u/Photos', '/media/b/Backup')], pausedAll = false) => ({
    pairs,
    statuses: new Map(pairs.map((p) => [p.id, status(p.id)])),
    pausedAll,
  });

  it('offers the log beside Open and Add pair', () => {
    const items = trayMenu(model(), false, 'Photos → Backup in sync', 'linux');
    expect(labels(items)).toEqual([
      'Photos → Backup in sync',
      '—',
      'Sync Photos → Backup now',
      'Pause auto-sync',
      '—',
      'Open Tandem',
      'Add pair…',
      'Open log',
      '—',
      'Quit Tandem',
    ]);
    expect(items.find((i) => !('type' in i) && i.label === 'Open log')).toMatchObject({
      action: { kind: 'openLog' },
    });
    expect(items[0]).toMatchObject({ enabled: false });
  });

  it('puts several pairs under Sync now, and says which are paused', () => {
    const m = model([pair('a', '/u/Photos', '/b/Backup'), pair('b', '/u/R&D', '/b/Docs')], true);
    m.statuses.set('b', status('b', { state: 'paused' }));
    const [, , sync, resume] = trayMenu(m, false, 'Paused', 'win32');
    expect(sync).toMatchObject({
      label: 'Sync now',
      submenu: [
        { label: 'Photos → Backup', enabled: true, action: { kind: 'syncNow', pairId: 'a' } },
        { label: 'R&&D → Docs (paused)', enabled: false, action: { kind: 'syncNow', pairId: 'b' } },
      ],
    });
    expect(resume).toMatchObject({
      label: 'Resume auto-sync',
      action: { kind: 'setPausedAll', paused: false },
    });
  });

  it('shows only the status and Quit while starting or quitting', () => {
    expect(labels(trayMenu(null, false, 'Starting…', 'linux'))).toEqual([
      'Starting…',
      '—',
      'Quit Tandem',
    ]);
    expect(labels(trayMenu(model(), true, 'Finishing…', 'darwin'))).toEqual([
      'Finishing…',
      '—',
      'Quit Tandem',
    ]);
  });
});
