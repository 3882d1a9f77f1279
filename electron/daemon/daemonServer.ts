// The headless daemon: the built UI over HTTP and the SyncApi over a WebSocket, on 127.0.0.1
// only, every request checked by requestGuard. The SyncService runs on its own worker thread
// (serviceThread), so a long apply never stalls the sockets or the progress events they carry.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { dispatchCall, parseCall, type RpcMessage, type SyncClient } from '../shared/rpc.js';
import { checkRequest, tokenCookieName, type RequestFacts } from './requestGuard.js';
import { contentType, readStatic, resolveStatic, securityHeaders } from './staticFiles.js';

export interface DaemonOptions {
  /** the service to serve (its lifetime belongs to the caller) */
  client: SyncClient;
  token: string;
  /** 0 picks a free port */
  port: number;
  /** the built UI; defaults to dist/renderer beside the compiled daemon */
  rendererDir?: string;
}

export interface Daemon {
  port: number;
  /** the link with the token, to print once */
  url: string;
  close(): Promise<void>;
}

export const HOST = '127.0.0.1';
/** A slow browser tab must not make the daemon buffer without bound; it misses progress ticks. */
const MAX_BUFFERED = 1 << 20;
const MAX_MESSAGE = 1 << 20;

const defaultRendererDir = () => fileURLToPath(new URL('../../renderer', import.meta.url));

function facts(req: http.IncomingMessage, port: number): RequestFacts {
  const url = new URL(req.url ?? '/', `http://${HOST}`);
  return {
    host: req.headers.host,
    origin: req.headers.origin,
    cookie: req.headers.cookie,
    authorization: req.headers.authorization,
    queryToken: url.searchParams.get('token'),
    port,
  };
}

const REFUSED_PAGE = (reason: string) =>
  `Tandem refused this request (${reason}). Open the link that \`tandem serve\` printed, with its token; ` +
  'run `tandem serve` again to see it.\n';

export function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const root = opts.rendererDir ?? defaultRendererDir();
  const sockets = new Set<WebSocket>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE });
  let port = opts.port;

  const server = http.createServer((req, res) => {
    const verdict = checkRequest(facts(req, port), opts.token);
    const headers = securityHeaders(port);
    if (!verdict.ok) {
      res.writeHead(verdict.status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(REFUSED_PAGE(verdict.reason));
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    if (verdict.via === 'query') {
      // Trade the token in the link for an HttpOnly cookie and drop it from the address bar and
      // history; the WebSocket then authenticates with the cookie.
      res.writeHead(303, {
        ...headers,
        'Set-Cookie': `${tokenCookieName(port)}=${opts.token}; HttpOnly; SameSite=Strict; Path=/`,
        Location: url.pathname,
      });
      res.end();
      return;
    }
    const file = resolveStatic(root, url.pathname);
    const body = file ? readStatic(file) : null;
    if (!file || !body) {
      const missingUi = url.pathname === '/' || url.pathname === '/index.html';
      res.writeHead(missingUi ? 503 : 404, { ...headers, 'Content-Type': 'text/plain' });
      res.end(
        missingUi
          ? 'The UI is not built; run `npm run build` in the Tandem checkout.\n'
          : 'Not found\n',
      );
      return;
    }
    res.writeHead(200, {
      ...headers,
      'Content-Type': contentType(file),
      'Cache-Control': file.endsWith('.html') ? 'no-store' : 'max-age=3600',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  });

  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', `http://${HOST}`);
    const verdict = checkRequest(facts(req, port), opts.token);
    if (url.pathname !== '/api' || !verdict.ok) {
      const status = url.pathname !== '/api' ? 404 : verdict.ok ? 200 : verdict.status;
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => serveSocket(ws));
  });

  function serveSocket(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => sockets.delete(ws));
    ws.on('message', (data, isBinary) => {
      let msg: unknown;
      try {
        msg = isBinary ? null : JSON.parse(String(data));
      } catch {
        msg = null;
      }
      const parsed = parseCall(msg);
      if (!parsed.ok) {
        if (parsed.id !== null)
          send(ws, { t: 'reply', id: parsed.id, result: { ok: false, error: parsed.error } });
        return;
      }
      void dispatchCall(opts.client, parsed.call).then((reply) => send(ws, reply));
    });
  }

  function send(ws: WebSocket, m: RpcMessage): void {
    if (ws.readyState !== ws.OPEN) return;
    if (m.t === 'event' && m.event.type === 'progress' && ws.bufferedAmount > MAX_BUFFERED) return;
    ws.send(JSON.stringify(m));
  }

  const unsubscribe = opts.client.onEvent((event) => {
    for (const ws of sockets) send(ws, { t: 'event', event });
  });

  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      unsubscribe();
      reject(
        e.code === 'EADDRINUSE'
          ? new Error(
              `port ${opts.port} is in use; choose another with --port N (0 picks a free one)`,
            )
          : e,
      );
    });
    server.listen(opts.port, HOST, () => {
      const addr = server.address();
      port = typeof addr === 'object' && addr ? addr.port : opts.port;
      resolve({
        port,
        url: `http://${HOST}:${port}/?token=${opts.token}`,
        close: () =>
          new Promise<void>((done) => {
            unsubscribe();
            for (const ws of sockets) ws.close(1001, 'Tandem is shutting down');
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
