// Maps a request for app://tandem/<path> to a file under the built UI folder, refusing anything
// that would leave it (`..`, encoded separators, absolute paths, NUL bytes).
import path from 'node:path';

/**
 * The file a URL path names inside `root`, or null when the path is malformed or escapes it.
 * `/` means index.html. `pathApi` is injectable so the Windows rules can be tested on Linux.
 */
export function resolveAppPath(
  urlPath: string,
  root: string,
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
  if (rel.split('/').some((part) => part === '..')) return null;
  if (pathApi.isAbsolute(rel) || /^[a-zA-Z]:/.test(rel)) return null;
  const base = pathApi.resolve(root);
  const full = pathApi.resolve(base, rel);
  const inside = pathApi.relative(base, full);
  if (inside === '' || inside.startsWith('..') || pathApi.isAbsolute(inside)) return null;
  return full;
}

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
export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}
