// Serves the built UI as app://tandem/… with the Content-Security-Policy on every response. A
// custom scheme (rather than file://) gives the page a real origin the IPC check can require,
// a place for response headers that file:// lacks, and no reach into the rest of the disk.
import fs from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_CSP } from './appUrl.js';
import { APP_HOST, APP_SCHEME } from './channels.js';
import { contentType, resolveStatic } from '../daemon/staticFiles.js';

/** Must run before the app is ready: the scheme's privileges are fixed at startup. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    {
      scheme: APP_SCHEME,
      // standard: a real origin and relative URLs; secure: a secure context (module scripts);
      // supportFetchAPI and corsEnabled: the UI's `<script type=module crossorigin>` and fetch
      // of its own files load as from any https origin; codeCache: faster starts.
      privileges: {
        standard: true,
        secure: true,
        supportFetchAPI: true,
        corsEnabled: true,
        codeCache: true,
      },
    },
  ]);
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': APP_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-cache',
};

function plain(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' },
  });
}

/** Serves files under `root` for the session's app:// requests; anything else is refused. */
export function serveApp(session: Session, root: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plain(400, 'Bad request');
    }
    if (url.host !== APP_HOST) return plain(404, 'Not found');
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Not allowed');
    const file = resolveStatic(root, url.pathname);
    if (!file) return plain(404, 'Not found');
    try {
      const body = await fs.readFile(file);
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { ...SECURITY_HEADERS, 'Content-Type': contentType(file) },
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR')
        return plain(404, 'Not found');
      return plain(500, 'Tandem could not read its own interface files; reinstall Tandem.');
    }
  });
}
