// Serving the built UI (dist/renderer): a path-traversal-safe lookup and content types, used by
// the daemon over HTTP and by the Electron window's app:// protocol, plus the daemon's headers.
import fs from 'node:fs';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** The Content-Type for a UI file; module scripts load only with a JavaScript type. */
export function contentType(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The file a URL path names inside `root`, or null when the path is malformed, hidden or escapes it.
 * `/` means index.html. `pathApi` is injectable so the Windows rules can be tested on Linux.
 */
export function resolveStatic(
  root: string,
  urlPath: string,
  pathApi: path.PlatformPath = path,
): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null; // malformed %-escape
  }
  // A backslash is a separator on Windows and never part of the UI's file names; a NUL byte
  // truncates paths in native code. Refuse both outright rather than normalise them.
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const rel = decoded.replace(/^\/+/, '') || 'index.html';
  // `..` would climb out; a hidden name (`.env`, `.git`) is never part of the built UI.
  if (rel.split('/').some((part) => part === '..' || (part.startsWith('.') && part !== '.')))
    return null;
  if (pathApi.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) return null;
  const base = pathApi.resolve(root);
  const full = pathApi.resolve(base, rel);
  const inside = pathApi.relative(base, full);
  if (inside === '' || inside.startsWith('..') || pathApi.isAbsolute(inside)) return null;
  return full;
}

export function securityHeaders(port: number): Record<string, string> {
  const self = [`ws://127.0.0.1:${port}`, `ws://localhost:${port}`].join(' ');
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      `connect-src 'self' ${self}`,
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

export function readStatic(file: string): Buffer | null {
  try {
    if (!fs.statSync(file).isFile()) return null;
    return fs.readFileSync(file);
  } catch {
    return null;
  }
}
