// The app:// handler against a stand-in for Electron's session.protocol, serving a temp folder.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

vi.mock('electron', () => ({ protocol: { registerSchemesAsPrivileged: vi.fn() } }));
const { serveApp } = await import('./appProtocol.js');

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-app-'));
const outside = path.join(path.dirname(root), `${path.basename(root)}-secret.txt`);
fs.mkdirSync(path.join(root, 'assets'));
fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Tandem</title>');
fs.writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'export {};');
fs.writeFileSync(outside, 'secret');
afterAll(() => {
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(outside, { force: true });
});

let handler: (r: Request) => Promise<Response>;
serveApp(
  { protocol: { handle: (_scheme: string, fn: typeof handler) => (handler = fn) } } as never,
  root,
);
const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

describe('serveApp', () => {
  it('serves the UI with its CSP and the right types', async () => {
    const index = await get('app://tandem/index.html');
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await index.text()).toContain('<title>Tandem</title>');
    const js = await get('app://tandem/assets/index-abc.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('app://tandem/')).status).toBe(200);
  });

  it.each([
    [`app://tandem/../${path.basename(outside)}`],
    [`app://tandem/%2e%2e/${path.basename(outside)}`],
    [`app://tandem/assets%2F..%2F..%2F${path.basename(outside)}`],
    ['app://tandem/missing.js'],
    ['app://tandem/assets'],
    ['app://other/index.html'],
  ])('answers 404 for %s', async (url) => {
    const r = await get(url);
    expect(r.status).toBe(404);
    expect(await r.text()).not.toContain('secret');
    expect(r.headers.get('content-security-policy')).toBeTruthy();
  });

  it('serves only reads', async () => {
    expect((await get('app://tandem/index.html', 'POST')).status).toBe(405);
    const head = await get('app://tandem/index.html', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });
});
