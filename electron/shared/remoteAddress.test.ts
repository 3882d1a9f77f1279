import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatLocation,
  parseLocation,
  type FolderLocation,
  type RemoteLocation,
} from './remoteAddress.js';

const local = (path: string): FolderLocation => ({ kind: 'local', path });
const remote = (r: Omit<RemoteLocation, 'kind'>): FolderLocation => ({ kind: 'remote', ...r });

describe('parseLocation', () => {
  const cases: [string, FolderLocation][] = [
    // local: no colon, or a slash before the first colon
    ['/srv/photos', local('/srv/photos')],
    ['photos', local('photos')],
    ['.', local('.')],
    ['./a:b', local('./a:b')],
    ['/x/a:b', local('/x/a:b')],
    ['../up:dir', local('../up:dir')],
    ['~/a:b', local('~/a:b')],
    ['dir/with:colon', local('dir/with:colon')],
    ['a/b@c:d', local('a/b@c:d')],
    ['me@nas', local('me@nas')],
    ['[::1]/x', local('[::1]/x')],
    // a Windows drive is local on every platform
    ['C:\\Users\\me', local('C:\\Users\\me')],
    ['c:/data', local('c:/data')],
    // [user@]host:path
    ['nas:/backup/photos', remote({ host: 'nas', path: '/backup/photos' })],
    ['me@nas:/backup', remote({ user: 'me', host: 'nas', path: '/backup' })],
    ['nas:', remote({ host: 'nas', path: '' })],
    ['nas:photos', remote({ host: 'nas', path: 'photos' })],
    ['nas:~/photos', remote({ host: 'nas', path: 'photos' })],
    ['nas:~', remote({ host: 'nas', path: '' })],
    ['nas:~/', remote({ host: 'nas', path: '' })],
    ['nas:~bob/x', remote({ host: 'nas', path: '~bob/x' })],
    ['nas:~/~x', remote({ host: 'nas', path: './~x' })],
    ['nas:./x', remote({ host: 'nas', path: './x' })],
    ['host:/a:b', remote({ host: 'host', path: '/a:b' })],
    ['nas.local:/a b/c', remote({ host: 'nas.local', path: '/a b/c' })],
    ['nas:/a%20b', remote({ host: 'nas', path: '/a%20b' })],
    ['c:x', remote({ host: 'c', path: 'x' })],
    ['u@c:/x', remote({ user: 'u', host: 'c', path: '/x' })],
    ['a@corp@host:/p', remote({ user: 'a@corp', host: 'host', path: '/p' })],
    [
      'user_1@my-host.example.com:/p',
      remote({ user: 'user_1', host: 'my-host.example.com', path: '/p' }),
    ],
    ['[::1]:/srv', remote({ host: '::1', path: '/srv' })],
    ['[::1]:', remote({ host: '::1', path: '' })],
    ['me@[fe80::1%eth0]:x', remote({ user: 'me', host: 'fe80::1%eth0', path: 'x' })],
    // ssh://[user@]host[:port]/path
    ['ssh://nas/backup', remote({ host: 'nas', path: '/backup' })],
    ['ssh://me@nas:2222/backup', remote({ user: 'me', host: 'nas', port: 2222, path: '/backup' })],
    ['SSH://nas/p', remote({ host: 'nas', path: '/p' })],
    ['ssh://nas', remote({ host: 'nas', path: '' })],
    ['ssh://nas:2222', remote({ host: 'nas', port: 2222, path: '' })],
    ['ssh://nas/', remote({ host: 'nas', path: '/' })],
    ['ssh://nas/~/x', remote({ host: 'nas', path: 'x' })],
    ['ssh://nas/~', remote({ host: 'nas', path: '' })],
    ['ssh://nas/~bob/x', remote({ host: 'nas', path: '~bob/x' })],
    ['ssh://nas//x', remote({ host: 'nas', path: '//x' })],
    ['ssh://nas:022/p', remote({ host: 'nas', port: 22, path: '/p' })],
    ['ssh://[::1]:2222/p', remote({ host: '::1', port: 2222, path: '/p' })],
    ['ssh://[::1]/p', remote({ host: '::1', path: '/p' })],
    ['ssh://[fe80::1%25eth0]/p', remote({ host: 'fe80::1%eth0', path: '/p' })],
    ['ssh://nas/a%20b', remote({ host: 'nas', path: '/a b' })],
    ['ssh://nas/%7Ex', remote({ host: 'nas', path: '/~x' })],
    ['ssh://nas/100%', remote({ host: 'nas', path: '/100%' })],
    ['ssh://me%40corp@nas/p', remote({ user: 'me@corp', host: 'nas', path: '/p' })],
    ['ssh://nas/a:b@c', remote({ host: 'nas', path: '/a:b@c' })],
  ];
  it.each(cases)('%s', (arg, expected) => {
    expect(parseLocation(arg)).toStrictEqual(expected);
  });

  const refused: [string, RegExp][] = [
    ['', /^an empty location/],
    ['ssh://', /an ssh:\/\/ address needs a host/],
    ['ssh:///srv', /an ssh:\/\/ address needs a host/],
    ['ssh://:2222/srv', /an ssh:\/\/ address needs a host/],
    ['ssh://me@/srv', /me@ is followed by no host/],
    ['me@:/srv', /me@ is followed by no host/],
    ['@nas:/p', /an empty user name before @/],
    ['ssh://nas:0/p', /port "0" is not a port \(1 to 65535\)/],
    ['ssh://nas:65536/p', /port "65536" is not a port/],
    ['ssh://nas:ssh/p', /port "ssh" is not a port/],
    ['ssh://nas:/p', /an empty port is not a port/],
    ['ssh://::1/p', /an IPv6 address goes in brackets/],
    ['ssh://[::1/p', /the \[ before the IPv6 address is not closed/],
    ['ssh://[::1]x/p', /"x" after the IPv6 address should be :port/],
    ['ssh://[nas]/p', /"nas" is not one/],
    ['ssh://me:secret@nas/p', /carry no password/],
    [':/srv', /no host before the colon; write "\.\/:\/srv" for a local path/],
    ['nas::module', /rsync's daemon syntax/],
    ['fe80::1:/x', /an IPv6 address goes in brackets, \[::1\]:\/path/],
    ['rsync://nas/module', /rsync:\/\/ addresses are not supported/],
    ['sftp://nas/p', /sftp:\/\/ addresses are not supported/],
    ['-oProxyCommand=x:y', /a host name cannot start with -/],
    ['-l@nas:/p', /a user name cannot start with -/],
    [
      'My Photos:2024',
      /"My Photos" is not a host name.*write "\.\/My Photos:2024" for a local path/,
    ],
    ['notes@home 2:x', /"home 2" is not a host name/],
    ['my notes@home:x', /the user name "my notes" holds a space/],
    ['[draft]:x', /"draft" is not one; write "\.\/\[draft\]:x" for a local path/],
    ['ssh://-oProxyCommand=x/p', /a host name cannot start with -/],
  ];
  it.each(refused)('refuses %j', (arg, message) => {
    expect(() => parseLocation(arg)).toThrow(message);
  });

  it('names the argument on one line, even one holding a newline', () => {
    expect(() => parseLocation('a\nb:/x')).toThrow(/^"a\\nb:\/x": "a\\nb" is not a host name/);
  });
});

describe('formatLocation', () => {
  const cases: [FolderLocation, string][] = [
    [local('/srv'), '/srv'],
    [local('photos'), 'photos'],
    [local('nas:x'), './nas:x'],
    [local('My Photos:2024'), './My Photos:2024'],
    [local('ssh://x'), './ssh://x'],
    [remote({ host: 'nas', path: '/b' }), 'nas:/b'],
    [remote({ host: 'nas', path: '' }), 'nas:'],
    [remote({ user: 'me', host: 'nas', path: 'x' }), 'me@nas:x'],
    [remote({ host: 'nas', path: '~bob/x' }), 'nas:~bob/x'],
    [remote({ user: 'me', host: 'nas', port: 2222, path: '/b' }), 'ssh://me@nas:2222/b'],
    [remote({ host: 'nas', port: 2222, path: 'x' }), 'ssh://nas:2222/~/x'],
    [remote({ host: 'nas', port: 2222, path: '' }), 'ssh://nas:2222'],
    [remote({ host: 'nas', port: 2222, path: '~bob' }), 'ssh://nas:2222/~bob'],
    [remote({ host: '::1', path: '/p' }), '[::1]:/p'],
    [remote({ host: '::1', port: 22, path: '/p' }), 'ssh://[::1]:22/p'],
    [remote({ host: 'fe80::1%eth0', port: 22, path: '/p' }), 'ssh://[fe80::1%25eth0]:22/p'],
    // where the short form would read as something else
    [remote({ host: 'c', path: '/x' }), 'ssh://c/x'],
    [remote({ host: 'nas', path: ':x' }), 'ssh://nas/~/:x'],
    [remote({ host: 'ssh', path: '//x' }), 'ssh://ssh//x'],
    [remote({ host: 'nas', port: 2, path: '/~x' }), 'ssh://nas:2/%7Ex'],
    [remote({ host: 'nas', port: 2, path: '/100%' }), 'ssh://nas:2/100%25'],
    [remote({ user: '[x', host: 'nas', path: 'p' }), 'ssh://[x@nas/~/p'],
  ];
  it.each(cases)('%j', (loc, expected) => {
    expect(formatLocation(loc)).toBe(expected);
    // a local path may come back after ./, which names the same folder
    expect(parseLocation(expected)).toStrictEqual(loc.kind === 'local' ? local(expected) : loc);
  });

  it('refuses what no argument reads as', () => {
    expect(() => formatLocation(local(''))).toThrow(/empty local path/);
    expect(() => formatLocation(remote({ host: 'nas', path: '~' }))).toThrow(/not a location/);
    expect(() => formatLocation(remote({ host: 'my nas', path: '/x' }))).toThrow(/not a location/);
    expect(() => formatLocation(remote({ host: 'nas', port: 0, path: '/x' }))).toThrow(
      /not a location/,
    );
  });
});

describe('round trip', () => {
  // Characters that the rules treat specially, and a few that they do not.
  const pathChar = fc.constantFrom(
    ...['/', ':', '~', '%', '@', '[', ']', '.', '\\', ' ', '2', '5', '7', 'E', 'a', 'é', '\n'],
    '\udce9', // a raw byte as byteNames spells it
  );
  const pathText = fc.string({ unit: pathChar, maxLength: 12 });
  const hostName = fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,8}$/),
    fc.constantFrom('c', 'C', 'ssh', 'sftp', 'localhost'),
  );
  const ipv6 = fc
    .tuple(fc.ipV6(), fc.option(fc.stringMatching(/^[a-z0-9]{1,4}$/), { nil: undefined }))
    .map(([ip, zone]) => (zone === undefined ? ip : `${ip}%${zone}`));
  const user = fc
    .string({
      unit: fc.constantFrom('a', 'b', '@', '%', '[', ']', '.', '_', '-', 'é', '7'),
      minLength: 1,
      maxLength: 6,
    })
    .filter((u) => !u.startsWith('-'));
  const remoteLocation = fc
    .record({
      user: fc.option(user, { nil: undefined }),
      host: fc.oneof(hostName, ipv6),
      port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
      path: pathText.filter((p) => p !== '~' && !p.startsWith('~/')),
    })
    .map(({ user, host, port, path }): FolderLocation => ({
      kind: 'remote',
      ...(user === undefined ? {} : { user }),
      host,
      ...(port === undefined ? {} : { port }),
      path,
    }));

  it('reads back every remote location it writes', () => {
    fc.assert(
      fc.property(remoteLocation, (loc) => {
        expect(parseLocation(formatLocation(loc))).toStrictEqual(loc);
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a local path so that it reads back local, as it is or after ./', () => {
    fc.assert(
      fc.property(
        pathText.filter((p) => p !== ''),
        (p) => {
          const text = formatLocation(local(p));
          expect([p, `./${p}`]).toContain(text);
          expect(parseLocation(text)).toStrictEqual(local(text));
          if (p.startsWith('/')) expect(text).toBe(p);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads any argument as a location that writes back to itself, or refuses it on one line', () => {
    const arg = fc.oneof(
      pathText,
      fc
        .tuple(fc.constantFrom('ssh://', 'me@', 'nas:', '[::1]:', 'c:', 'SSH://a@'), pathText)
        .map(([a, b]) => a + b),
    );
    fc.assert(
      fc.property(arg, (s) => {
        let loc: FolderLocation;
        try {
          loc = parseLocation(s);
        } catch (e) {
          expect((e as Error).message).not.toMatch(/\n/);
          return;
        }
        expect(parseLocation(formatLocation(loc))).toStrictEqual(loc);
      }),
      { numRuns: 3000 },
    );
  });
});
