import { describe, expect, it } from 'vitest';
import { autostartEntry, execArg, loginLaunch } from './autostart.js';
import {
  DEFAULT_DESKTOP_SETTINGS,
  parseSettingsPatch,
  parseStoredSettings,
  pickerTitle,
  publicSettings,
} from './desktopSettings.js';
import { startupErrorMessage } from './startupError.js';

describe('desktop settings', () => {
  it('reads what was stored and defaults the rest', () => {
    expect(parseStoredSettings({ openAtLogin: true })).toEqual({
      openAtLogin: true,
      trayHintShown: false,
    });
    expect(parseStoredSettings({ openAtLogin: 'yes', trayHintShown: true })).toEqual({
      openAtLogin: false,
      trayHintShown: true,
    });
    expect(parseStoredSettings(null)).toEqual(DEFAULT_DESKTOP_SETTINGS);
    expect(parseStoredSettings([1])).toEqual(DEFAULT_DESKTOP_SETTINGS);
  });

  it('shows the UI only its own settings', () => {
    expect(publicSettings({ openAtLogin: true, trayHintShown: true })).toEqual({
      openAtLogin: true,
    });
  });

  it.each([
    [{ openAtLogin: true }, { ok: true, patch: { openAtLogin: true } }],
    [{}, { ok: true, patch: {} }],
  ])('accepts %o', (input, want) => expect(parseSettingsPatch(input)).toEqual(want));

  it.each([
    [null, /must be an object/],
    [[true], /must be an object/],
    ['openAtLogin', /must be an object/],
    [{ openAtLogin: 'true' }, /"openAtLogin" is not a desktop setting/],
    [{ trayHintShown: true }, /"trayHintShown" is not a desktop setting/],
    [{ __proto__: { x: 1 }, evil: 1 }, /"evil"/],
  ])('refuses %o', (input, why) => {
    const r = parseSettingsPatch(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(why);
  });

  it('gives the folder picker a short title', () => {
    expect(pickerTitle('Choose the source folder')).toBe('Choose the source folder');
    expect(pickerTitle('  ')).toBe('Choose a folder');
    expect(pickerTitle(42)).toBe('Choose a folder');
    expect(pickerTitle('x'.repeat(500))).toHaveLength(200);
  });
});

describe('start at login', () => {
  const base = {
    execPath: '/opt/Tandem/tandem',
    appPath: '/opt/Tandem/resources/app.asar',
    isPackaged: true,
  };

  it('starts a packaged app hidden', () => {
    expect(loginLaunch({ ...base, platform: 'linux' })).toEqual({
      path: '/opt/Tandem/tandem',
      args: ['--hidden'],
    });
  });

  it('launches an AppImage by its own path', () => {
    expect(
      loginLaunch({ ...base, platform: 'linux', appImage: '/home/u/Apps/Tandem.AppImage' }).path,
    ).toBe('/home/u/Apps/Tandem.AppImage');
  });

  it('passes the app folder to Electron in a development run, quoted on Windows', () => {
    expect(
      loginLaunch({
        platform: 'win32',
        execPath: 'C:\\dev\\tandem\\node_modules\\electron\\dist\\electron.exe',
        appPath: 'C:\\My Projects\\tandem',
        isPackaged: false,
      }).args,
    ).toEqual(['"C:\\My Projects\\tandem"', '--hidden']);
  });

  it.each([
    ['/opt/Tandem/tandem', '/opt/Tandem/tandem'],
    ['/home/u/My Apps/Tandem', '"/home/u/My Apps/Tandem"'],
    ['/home/u/$HOME/x', '"/home/u/\\$HOME/x"'],
    ['/a"b', '"/a\\"b"'],
    ['/100%', '/100%%'],
  ])('quotes %s for an Exec line', (arg, want) => expect(execArg(arg)).toBe(want));

  it('writes an XDG autostart entry, escaping backslashes once more for the string level', () => {
    const entry = autostartEntry({ path: '/home/u/My Apps/Tandem', args: ['--hidden'] });
    expect(entry).toContain('Exec="/home/u/My Apps/Tandem" --hidden\n');
    expect(entry).toMatch(/^\[Desktop Entry\]\nType=Application\nName=Tandem\n/);
    expect(autostartEntry({ path: '/a$b', args: [] })).toContain('Exec="/a\\\\$b"');
  });
});

describe('startupErrorMessage', () => {
  it.each([
    [
      new Error(
        'The module was compiled against a different Node.js version using NODE_MODULE_VERSION 115',
      ),
      /start it with npm start/,
    ],
    [
      new Error("EACCES: permission denied, mkdir '/x'"),
      /cannot write to its state folder \(\/home\/u\/\.local\/state\/tandem\)/,
    ],
    [new Error('ENOSPC: no space left on device'), /is full/],
    ['something odd', /^The sync service did not start: something odd\./],
  ])('%s', (err, want) =>
    expect(startupErrorMessage(err, '/home/u/.local/state/tandem')).toMatch(want),
  );
});
