// Who may talk to the daemon: a pure check of one HTTP request or WebSocket upgrade. The daemon
// listens on 127.0.0.1 only, yet any web page the user visits can send requests there, and DNS
// rebinding can make a hostile name resolve to 127.0.0.1; so every request needs the token, the
// Host must be the loopback name and port, and a browser's Origin must be the daemon itself.
import crypto from 'node:crypto';

export const TOKEN_COOKIE_PREFIX = 'tandem_token_';

/** Cookies ignore ports, so two daemons on one machine each get a cookie of their own name. */
export function tokenCookieName(port: number): string {
  return `${TOKEN_COOKIE_PREFIX}${port}`;
}

export interface RequestFacts {
  host: string | undefined;
  origin: string | undefined;
  cookie: string | undefined;
  authorization: string | undefined;
  /** the `token` query parameter, if any */
  queryToken: string | null;
  port: number;
}

export type Verdict =
  | { ok: true; via: 'cookie' | 'header' | 'query' }
  | { ok: false; status: 401 | 403 | 421; reason: string };

const allowedHosts = (port: number) => [`127.0.0.1:${port}`, `localhost:${port}`];

export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

export function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function checkRequest(f: RequestFacts, token: string): Verdict {
  const hosts = allowedHosts(f.port);
  if (!f.host || !hosts.includes(f.host.toLowerCase()))
    return { ok: false, status: 421, reason: `wrong Host header (${f.host ?? 'none'})` };
  // Browsers always send Origin on WebSocket upgrades and cross-origin requests; tools may not.
  if (f.origin !== undefined && !hosts.some((h) => f.origin === `http://${h}`))
    return { ok: false, status: 403, reason: `requests from ${f.origin} are not allowed` };
  const cookie = cookieValue(f.cookie, tokenCookieName(f.port));
  if (cookie !== null && sameToken(cookie, token)) return { ok: true, via: 'cookie' };
  const bearer = /^Bearer (.+)$/.exec(f.authorization ?? '')?.[1];
  if (bearer !== undefined && sameToken(bearer, token)) return { ok: true, via: 'header' };
  if (f.queryToken !== null && sameToken(f.queryToken, token)) return { ok: true, via: 'query' };
  return { ok: false, status: 401, reason: 'missing or wrong token' };
}
