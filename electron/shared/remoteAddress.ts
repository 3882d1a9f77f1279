// Where a side of a pair lives: a local path, or `[user@]host:path` or
// `ssh://[user@]host[:port]/path` on another machine. Read by scp's and rsync's rules; written
// back (for messages, the registry and the UI) in a form that reads back the same. Pure: the CLI,
// the service and the UI share it.
//
// The rules, where scp and rsync leave room:
// - `[user@]host:path` is remote when its first colon comes before any slash; a path with a slash
//   before its first colon (`/x/a:b`, `./a:b`, `~/a:b`) or with no colon (`me@nas`) is local. The
//   user is all before the last `@` (account names may hold one). `host:` alone, an empty path,
//   is the remote home (rsync's rule); the path is otherwise taken literally (no % decoding).
// - One ASCII letter, a colon and a slash or backslash (`C:\x`, `c:/x`) is a Windows drive path,
//   so local, on every platform: a one-letter host with an absolute path is written `ssh://c/x`.
//   `c:x` (no slash) is host `c`, as in rsync.
// - IPv6 goes in brackets: `[::1]:/p`, `user@[fe80::1%eth0]:p`, `ssh://[::1]:2222/p`. A `[`
//   that is not closed by `]:` leaves the argument local, as in scp; `[x]:p` where x is not an
//   IPv6 address is an error.
// - `ssh://` paths are absolute (`ssh://h/x` is `/x`), except that `ssh://h/~/x` is `x`, relative
//   to the remote home, `ssh://h/~` and `ssh://h` are the home itself, and `ssh://h/~bob/x` is
//   `~bob/x`. %XX escapes are decoded in the user, a bracketed host and the path (URL syntax;
//   formatLocation escapes a path that would otherwise misread, `/%7Ex` for an absolute `/~x`).
// - A remote path is kept as given, except that a leading `~/` (or a lone `~`) is dropped: the far
//   side resolves a relative path against its home, so `host:~/x` and `host:x` are one place
//   (`host:~/~x` becomes `./~x`, a folder named ~x in the home). A leading `~user` is kept for the
//   far side to expand, as the remote shell does for scp.
// - Refused with a one-line reason: an empty argument; a host or user starting with `-` (ssh would
//   read it as an option); a host with characters no host name has (write `./` before a local
//   path with a colon); `host::x` (rsync's daemon syntax); other URL schemes; an `ssh://` address
//   without a host, with a bad port or with a password; `user@` without a host.

export interface LocalLocation {
  kind: 'local';
  path: string;
}

export interface RemoteLocation {
  kind: 'remote';
  user?: string;
  host: string;
  port?: number;
  /** absolute, or relative to the remote home ('' is the home); never `~` or `~/…` */
  path: string;
}

export type FolderLocation = LocalLocation | RemoteLocation;

const HOST_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const IPV6 = /^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*(%[A-Za-z0-9_.-]+)?$/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const DRIVE = /^[A-Za-z]:[\\/]/;
const SSH_URL_FORM = 'ssh://[user@]host[:port]/path';

/** An error naming the argument, quoted so that the message stays on one line. */
function bad(arg: string, why: string): Error {
  return new Error(`${JSON.stringify(arg)}: ${why}`);
}

const localHint = (arg: string) => `write ${JSON.stringify(`./${arg}`)} for a local path`;

/** Reads a command-line argument (or a registry entry) as a local or remote folder. */
export function parseLocation(arg: string): FolderLocation {
  if (arg === '') throw new Error('an empty location: give a folder path, or host:path');
  const scheme = SCHEME.exec(arg);
  if (scheme) {
    if (scheme[1]!.toLowerCase() === 'ssh') return parseSshUrl(arg);
    throw bad(
      arg,
      `${scheme[1]}:// addresses are not supported; Tandem reaches other machines over ssh (${SSH_URL_FORM} or host:/path)`,
    );
  }
  if (DRIVE.test(arg)) return { kind: 'local', path: arg };

  // scp's and rsync's scan: up to the first colon, unless a slash comes first; colons inside an
  // IPv6 address's brackets do not count.
  let hostStart = 0;
  for (let i = 0; i < arg.length; i++) {
    const c = arg[i];
    if (c === '/') break;
    if (c === '@') hostStart = i + 1;
    else if (c === '[' && i === hostStart) {
      const close = arg.indexOf(']', i);
      if (close < 0 || arg[close + 1] !== ':') break;
      const host = arg.slice(i + 1, close);
      if (!IPV6.test(host))
        throw bad(
          arg,
          `brackets hold an IPv6 address, and ${JSON.stringify(host)} is not one; ${localHint(arg)}`,
        );
      return scpForm(arg, hostStart, host, close + 1);
    } else if (c === ':') return scpForm(arg, hostStart, arg.slice(hostStart, i), i);
  }
  return { kind: 'local', path: arg };
}

/** `[user@]host:path` once the colon after the host is found at `colon`. */
function scpForm(arg: string, hostStart: number, host: string, colon: number): RemoteLocation {
  const user = hostStart > 0 ? arg.slice(0, hostStart - 1) : undefined;
  const path = arg.slice(colon + 1);
  if (path.startsWith(':'))
    throw bad(
      arg,
      `host::path is rsync's daemon syntax, which Tandem does not speak (use host:/path; an IPv6 address goes in brackets, [::1]:/path)`,
    );
  checkUser(arg, user, localHint(arg));
  if (host === '')
    throw bad(
      arg,
      user === undefined
        ? `no host before the colon; ${localHint(arg)}`
        : `${user}@ is followed by no host`,
    );
  if (!host.includes(':')) checkHostName(arg, host, localHint(arg));
  return remote(user, host, undefined, homeRelative(path));
}

function parseSshUrl(arg: string): RemoteLocation {
  const rest = arg.slice('ssh://'.length);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const rawPath = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const user = at < 0 ? undefined : decodePercent(authority.slice(0, at));
  const hostPort = authority.slice(at + 1);

  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw bad(arg, `the [ before the IPv6 address is not closed`);
    host = decodePercent(hostPort.slice(1, close));
    if (!IPV6.test(host))
      throw bad(arg, `brackets hold an IPv6 address, and ${JSON.stringify(host)} is not one`);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':'))
      throw bad(arg, `${JSON.stringify(after)} after the IPv6 address should be :port`);
    if (after !== '') portText = after.slice(1);
  } else {
    const [name, ...ports] = hostPort.split(':');
    if (ports.length > 1) throw bad(arg, 'an IPv6 address goes in brackets: ssh://[::1]:2222/path');
    host = name!;
    portText = ports[0];
  }
  if (user?.includes(':'))
    throw bad(arg, 'ssh:// addresses carry no password (ssh asks for one, or uses a key)');
  checkUser(arg, user);
  if (host === '')
    throw bad(
      arg,
      user === undefined
        ? `an ssh:// address needs a host (${SSH_URL_FORM})`
        : `${user}@ is followed by no host`,
    );
  if (!host.includes(':')) checkHostName(arg, host);
  const port = portText === undefined ? undefined : parsePort(arg, portText);
  // `/~…` is home-relative, tested before decoding so that `/%7E…` stays absolute.
  const path = rawPath.startsWith('/~')
    ? homeRelative(decodePercent(rawPath.slice(1)))
    : decodePercent(rawPath);
  return remote(user, host, port, path);
}

function parsePort(arg: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw bad(
      arg,
      `${text === '' ? 'an empty port' : `port ${JSON.stringify(text)}`} is not a port (1 to 65535)`,
    );
  return port;
}

function checkUser(arg: string, user: string | undefined, hint?: string): void {
  if (user === undefined) return;
  const why =
    user === ''
      ? 'an empty user name before @'
      : user.startsWith('-')
        ? 'a user name cannot start with -'
        : /[\s\p{Cc}/:]/u.test(user)
          ? `the user name ${JSON.stringify(user)} holds a space, / or :`
          : undefined;
  if (why) throw bad(arg, hint ? `${why}; ${hint}` : why);
}

function checkHostName(arg: string, host: string, hint?: string): void {
  if (HOST_NAME.test(host)) return;
  const why = host.startsWith('-')
    ? 'a host name cannot start with -'
    : `${JSON.stringify(host)} is not a host name (letters, digits, . - _)`;
  throw bad(arg, hint ? `${why}; ${hint}` : why);
}

/** A remote path as stored: `~` and a leading `~/` name the home, which a relative path is in. */
function homeRelative(path: string): string {
  if (path === '~') return '';
  if (!path.startsWith('~/')) return path;
  const rest = path.slice(2);
  // `~/~x` is a folder named ~x in the home, not the home of user x.
  return rest.startsWith('~') ? `./${rest}` : rest;
}

function remote(
  user: string | undefined,
  host: string,
  port: number | undefined,
  path: string,
): RemoteLocation {
  return {
    kind: 'remote',
    ...(user === undefined ? {} : { user }),
    host,
    ...(port === undefined ? {} : { port }),
    path,
  };
}

/** Decodes each run of %XX that is valid UTF-8; any other % stays as it is. */
function decodePercent(s: string): string {
  return s.replace(/(%[0-9A-Fa-f]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}

/**
 * Writes a location so that parseLocation reads it back the same: `host:path` where that does,
 * else `ssh://…` (a port, or a path the short form would misread); a local path as it is, or
 * after `./` where it would read as remote. Not shell-quoted: for messages, the registry, the UI.
 */
export function formatLocation(loc: FolderLocation): string {
  if (loc.kind === 'local') {
    if (loc.path === '') throw new Error('an empty local path has no written form');
    return readsBack(loc.path, loc) ? loc.path : `./${loc.path}`;
  }
  if (loc.port === undefined) {
    const user = loc.user === undefined ? '' : `${loc.user}@`;
    const host = loc.host.includes(':') ? `[${loc.host}]` : loc.host;
    const short = `${user}${host}:${loc.path}`;
    if (readsBack(short, loc)) return short;
  }
  const url = sshUrl(loc);
  if (!readsBack(url, loc))
    throw new Error(`${JSON.stringify(loc)} is not a location parseLocation could have read`);
  return url;
}

function sshUrl(loc: RemoteLocation): string {
  const enc = (s: string) => s.replace(/%/g, '%25');
  const user = loc.user === undefined ? '' : `${enc(loc.user)}@`;
  const host = loc.host.includes(':') ? `[${enc(loc.host)}]` : loc.host;
  const port = loc.port === undefined ? '' : `:${loc.port}`;
  return `ssh://${user}${host}${port}${urlPath(loc.path, enc)}`;
}

/** A path as the part of an ssh:// URL after the host; `/~/` starts a home-relative one. */
function urlPath(p: string, enc: (s: string) => string): string {
  if (p === '') return '';
  if (p.startsWith('/~')) return `/%7E${enc(p.slice(2))}`;
  if (p.startsWith('/')) return enc(p);
  if (p.startsWith('~')) return `/${enc(p)}`; // ~user/…
  return `/~/${enc(p)}`;
}

function readsBack(text: string, loc: FolderLocation): boolean {
  let back: FolderLocation;
  try {
    back = parseLocation(text);
  } catch {
    return false;
  }
  if (back.kind !== loc.kind || back.path !== loc.path) return false;
  if (back.kind === 'local' || loc.kind === 'local') return true;
  return back.user === loc.user && back.host === loc.host && back.port === loc.port;
}
