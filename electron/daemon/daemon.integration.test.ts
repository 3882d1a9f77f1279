// The daemon against a real service thread, real sockets and real folders: who is refused, and
// that an authorised WebSocket drives the SyncApi and receives its events.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { RpcMessage } from '../shared/rpc.js';
import type { SyncEvent } from '../shared/syncApi.js';
import { startServiceThread, type ServiceThread } from '../engine/service/serviceThread.js';
import { CLI_PATH } from '../testing/cliRunner.js';
import { makeSandbox, type Sandbox } from '../testing/sandbox.js';
import { startDaemon, type Daemon } from './daemonServer.js';
import { tokenCookieName } from './requestGuard.js';

const TOKEN = 'T'.repeat(43);
let sb: Sandbox;
let service: ServiceThread;
let daemon: Daemon;

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(urlPath: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: daemon.port, path: urlPath, headers, method: 'GET' },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const cookie = () => ({ Cookie: `${tokenCookieName(daemon.port)}=${TOKEN}` });

/** Opens a WebSocket; resolves with it, or with the HTTP status the upgrade was refused with. */
function openSocket(headers: Record<string, string>): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${daemon.port}/api`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => resolve(0));
  });
}

class Peer {
  private next = 1;
  private waiting = new Map<number, (r: unknown) => void>();
  events: SyncEvent[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const m = JSON.parse(String(d)) as RpcMessage;
      if (m.t === 'reply') this.waiting.get(m.id)?.(m.result);
      else if (m.t === 'event') this.events.push(m.event);
    });
  }
  call(
    method: string,
    ...args: unknown[]
  ): Promise<{ ok: boolean; value?: unknown; error?: { code: string; message: string } }> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (r: unknown) => void);
      this.ws.send(JSON.stringify({ t: 'call', id, method, args }));
    });
  }
  raw(
    text: string,
    id: number,
  ): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (r: unknown) => void);
      this.ws.send(text);
    });
  }
}

beforeAll(async () => {
  sb = makeSandbox('daemon');
  fs.mkdirSync(sb.source, { recursive: true });
  fs.writeFileSync(path.join(sb.source, 'a.txt'), 'hello\n');
  const ui = path.join(sb.base, 'ui');
  fs.mkdirSync(path.join(ui, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>Tandem</title>');
  fs.writeFileSync(path.join(ui, 'assets', 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(sb.base, 'secret.txt'), 'outside the UI folder');
  service = await startServiceThread({ home: sb.home, watch: false, quietMs: 0 });
  daemon = await startDaemon({ client: service.client, token: TOKEN, port: 0, rendererDir: ui });
});

afterAll(async () => {
  await daemon?.close();
  await service?.stop();
  sb?.cleanup();
});

describe('HTTP', () => {
  it('prints a link with the token on 127.0.0.1', () => {
    expect(daemon.url).toBe(`http://127.0.0.1:${daemon.port}/?token=${TOKEN}`);
  });

  it('refuses a request without the token, saying how to get the link', async () => {
    const r = await get('/');
    expect(r.status).toBe(401);
    expect(r.body).toMatch(/tandem serve/);
    expect(r.body).not.toContain('<title>Tandem');
  });

  it('refuses a wrong token', async () => {
    expect((await get(`/?token=${'x'.repeat(43)}`)).status).toBe(401);
    expect((await get('/assets/app.js', { Authorization: 'Bearer nope' })).status).toBe(401);
  });

  it('trades the link token for an HttpOnly cookie and drops it from the address', async () => {
    const r = await get(`/?token=${TOKEN}`);
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe('/');
    const set = String(r.headers['set-cookie']);
    expect(set).toContain(`${tokenCookieName(daemon.port)}=${TOKEN}`);
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
  });

  it('serves the UI with the cookie, under a Content-Security-Policy', async () => {
    const r = await get('/', cookie());
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>Tandem');
    expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(r.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect((await get('/assets/app.js', cookie())).headers['content-type']).toMatch(/javascript/);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin even with the cookie', async () => {
    expect((await get('/', { ...cookie(), Host: `evil.example:${daemon.port}` })).status).toBe(421);
    expect((await get('/', { ...cookie(), Origin: 'http://evil.example' })).status).toBe(403);
  });

  it('never serves files outside the UI folder', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const r = await get(p, cookie());
      expect(r.status).toBe(404);
      expect(r.body).not.toContain('outside the UI folder');
    }
  });
});

describe('WebSocket', () => {
  it('refuses an upgrade without the token, or from a foreign origin', async () => {
    expect(await openSocket({})).toBe(401);
    expect(await openSocket({ Origin: 'http://evil.example', ...cookie() })).toBe(403);
    expect(await openSocket({ ...cookie(), Host: `evil.example:${daemon.port}` })).toBe(421);
  });

  it('drives the SyncApi with the cookie and pushes events', async () => {
    const ws = await openSocket({ ...cookie(), Origin: `http://127.0.0.1:${daemon.port}` });
    expect(ws).toBeInstanceOf(WebSocket);
    const peer = new Peer(ws as WebSocket);
    const about = await peer.call('about');
    expect(about).toMatchObject({ ok: true, value: { home: sb.home } });

    const added = await peer.call('addPair', { source: sb.source, target: sb.target });
    expect(added.ok).toBe(true);
    const pairId = (added.value as { id: string }).id;
    await expect.poll(() => peer.events.some((e) => e.type === 'pairsChanged')).toBe(true);

    const scanned = await peer.call('scanNow', pairId);
    expect(scanned).toMatchObject({ ok: true, value: { pending: 1 } });
    const page = await peer.call('listPending', { pairId });
    expect(page).toMatchObject({
      ok: true,
      value: { total: 1, items: [{ path: 'a.txt', kind: 'create' }] },
    });

    // An approval names the list as shown (its revision), never "whatever is pending".
    const shown = page.value as { listId: string; revision: number };
    expect(await peer.call('approve', { pairId })).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(
      await peer.call('approve', {
        pairId,
        list: { listId: shown.listId, revision: shown.revision },
      }),
    ).toMatchObject({ ok: true, value: { done: 1 } });
    await expect
      .poll(
        () =>
          fs.existsSync(path.join(sb.target, 'a.txt')) &&
          fs.readFileSync(path.join(sb.target, 'a.txt'), 'utf8'),
      )
      .toBe('hello\n');
    await expect.poll(() => peer.events.some((e) => e.type === 'applied')).toBe(true);
    (ws as WebSocket).close();
  });

  it('answers malformed calls with an error, and keeps serving', async () => {
    const peer = new Peer((await openSocket({ Authorization: `Bearer ${TOKEN}` })) as WebSocket);
    expect(await peer.call('dropDatabase')).toMatchObject({
      ok: false,
      error: { code: 'invalid' },
    });
    expect(await peer.call('removePair', 42)).toMatchObject({
      ok: false,
      error: { code: 'invalid', message: expect.stringMatching(/removePair/) },
    });
    expect(await peer.raw('{"t":"call","id":7,"method":"about","args":"x"}', 7)).toMatchObject({
      ok: false,
    });
    peer.ws.send('not json at all');
    expect(await peer.call('checkPair', sb.source, path.join(sb.source, 'inner'))).toMatchObject({
      ok: false,
      error: { code: 'refused', message: expect.stringMatching(/inside source/) },
    });
    expect(await peer.call('about')).toMatchObject({ ok: true });
    peer.ws.close();
  });
});

describe('tandem serve', () => {
  it('refuses to start a second daemon for the same state folder, naming the running one', async () => {
    const env = { ...process.env, TANDEM_HOME: path.join(sb.base, 'serve-home') };
    const first = spawn(
      process.execPath,
      [CLI_PATH, 'serve', '--port', '0', '--log-level', 'warn'],
      { env },
    );
    let out = '';
    first.stdout.on('data', (d) => (out += d));
    await expect
      .poll(() => out, { timeout: 20_000 })
      .toMatch(/serving its UI at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    const second = spawn(process.execPath, [CLI_PATH, 'serve', '--port', '0'], { env });
    let err = '';
    second.stderr.on('data', (d) => (err += d));
    const code = await new Promise((r) => second.on('exit', r));
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/already serves this state folder at http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    first.kill('SIGINT');
    expect(await new Promise((r) => first.on('exit', r))).toBe(0);
    expect(fs.existsSync(path.join(sb.base, 'serve-home', 'service.json'))).toBe(false);
    // --log-level reached the service: at warn, starting and stopping are not logged.
    const log = path.join(sb.base, 'serve-home', 'logs', 'tandem.log');
    expect(fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '').not.toMatch(/service started/);
  });
});
