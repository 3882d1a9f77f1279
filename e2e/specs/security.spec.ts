// The daemon serves only whoever holds its token, and only as itself (Host and Origin checked).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { expect, test } from '../support/fixtures.js';

test('a browser without the link is refused and told how to get in', async ({
  browser,
  tandem,
}) => {
  const page = await (await browser.newContext()).newPage();
  const res = await page.goto(`http://127.0.0.1:${tandem.port}/`);
  expect(res?.status()).toBe(401);
  await expect(page.getByText(/tandem serve/)).toBeVisible();
  await expect(page.getByRole('navigation', { name: 'Pairs' })).toHaveCount(0);
});

test('requests and WebSockets without the token are refused', async ({ tandem }) => {
  const base = `http://127.0.0.1:${tandem.port}`;
  expect((await fetch(`${base}/`)).status).toBe(401);
  expect((await fetch(`${base}/?token=wrong`)).status).toBe(401);
  expect(
    (await fetch(`${base}/index.html`, { headers: { Authorization: 'Bearer wrong' } })).status,
  ).toBe(401);
  const refused = (headers: Record<string, string>) =>
    new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${tandem.port}/api`, { headers });
      ws.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0));
      ws.once('open', () => {
        ws.close();
        resolve(101);
      });
      ws.once('error', () => resolve(0));
    });
  expect(await refused({})).toBe(401);
  expect(
    await refused({ Origin: 'http://evil.example', Authorization: `Bearer ${tandem.token}` }),
  ).toBe(403);
  expect(await refused({ Authorization: `Bearer ${tandem.token}` })).toBe(101);
});

test('a page on another origin cannot reach the API even from the same browser', async ({
  app,
  tandem,
  page,
}) => {
  // The user's browser holds the cookie; a page from another local server tries the WebSocket.
  await expect(app.sidebar).toBeVisible();
  const other = http.createServer((_q, r) => r.end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const port = (other.address() as AddressInfo).port;
  try {
    await page.goto(`http://127.0.0.1:${port}/`);
    const outcome = await page.evaluate(
      (daemonPort) =>
        new Promise<string>((resolve) => {
          const ws = new WebSocket(`ws://127.0.0.1:${daemonPort}/api`);
          ws.onopen = () => resolve('open');
          ws.onerror = () => resolve('refused');
        }),
      tandem.port,
    );
    expect(outcome).toBe('refused');
  } finally {
    other.close();
  }
});
