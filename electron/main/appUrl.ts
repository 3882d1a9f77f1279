// Where the UI lives (app://tandem/…) and which URLs count as the app, as pure functions: the
// window's navigation guard, the IPC sender check and the protocol handler all ask these.
import { APP_HOST, APP_SCHEME } from './channels.js';

export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The UI's Content-Security-Policy. Inline styles stay allowed because React sets style
 * attributes; scripts come only from the app's own files.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * Is this URL one of the app's own pages? Compared by scheme and host, not by `URL.origin`: for
 * a custom scheme WHATWG URL reports the origin as the opaque "null".
 */
export function isAppUrl(url: string | undefined | null): boolean {
  const u = url ? parse(url) : null;
  return u !== null && u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && !u.username;
}

/** A link the user may open in their browser: plain http(s) only, never file: or custom schemes. */
export function isExternalUrl(url: string): boolean {
  const u = parse(url);
  return u !== null && (u.protocol === 'https:' || u.protocol === 'http:') && !u.username;
}
