import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { APP_CSP, APP_ENTRY_URL, isAppUrl, isExternalUrl } from './appUrl.js';
import { contentType as contentTypeFor, resolveStatic } from '../daemon/staticFiles.js';

const resolveAppPath = (p: string, root: string, api: path.PlatformPath) =>
  resolveStatic(root, p, api);
import { senderRefusal } from './ipcSender.js';

describe('isAppUrl', () => {
  it.each([
    [APP_ENTRY_URL, true],
    ['app://tandem/', true],
    ['app://tandem/assets/index-abc.js?x=1#y', true],
    ['app://evil/index.html', false],
    ['app://tandem.evil.com/index.html', false],
    ['app://user@tandem/index.html', false],
    ['file:///home/u/dist/renderer/index.html', false],
    ['https://tandem/index.html', false],
    ['http://127.0.0.1:3000/', false],
    ['devtools://devtools/bundled/inspector.html', false],
    ['about:blank', false],
    ['not a url', false],
    ['', false],
    [undefined, false],
  ])('%s → %s', (url, ok) => expect(isAppUrl(url)).toBe(ok));
});

describe('isExternalUrl', () => {
  it.each([
    ['https://example.com/docs', true],
    ['http://example.com', true],
    ['https://user:pw@example.com', false],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['app://tandem/index.html', false],
    ['smb://server/share', false],
    ['mailto:a@b.c', false],
  ])('%s → %s', (url, ok) => expect(isExternalUrl(url)).toBe(ok));
});

describe('resolveStatic, as the app:// protocol uses it', () => {
  const root = '/opt/tandem/dist/renderer';
  it.each([
    ['/', `${root}/index.html`],
    ['', `${root}/index.html`],
    ['/index.html', `${root}/index.html`],
    ['/assets/index-abc.js', `${root}/assets/index-abc.js`],
    ['/assets/a%20b.png', `${root}/assets/a b.png`],
    ['/./assets/./x.css', `${root}/assets/x.css`],
    ['//assets/x.css', `${root}/assets/x.css`],
  ])('serves %s', (p, file) => expect(resolveAppPath(p, root, path.posix)).toBe(file));

  it.each([
    ['/../secret.txt'],
    ['/assets/../../secret.txt'],
    ['/%2e%2e/secret.txt'],
    ['/assets%2F..%2F..%2Fsecret.txt'],
    ['/..%5C..%5Csecret.txt'],
    ['/assets\\..\\..\\secret.txt'],
    ['/index.html%00.png'],
    ['/%E0%A4%A'],
    ['/..'],
  ])('refuses %s', (p) => expect(resolveAppPath(p, root, path.posix)).toBeNull());

  it('refuses drive letters and UNC paths under Windows rules', () => {
    const winRoot = 'C:\\Tandem\\resources\\app\\dist\\renderer';
    expect(resolveAppPath('/assets/x.js', winRoot, path.win32)).toBe(`${winRoot}\\assets\\x.js`);
    expect(resolveAppPath('/C:/Windows/win.ini', winRoot, path.win32)).toBeNull();
    expect(resolveAppPath('/C:%2FWindows', winRoot, path.win32)).toBeNull();
    expect(resolveAppPath('//server/share/x', winRoot, path.win32)).toBe(
      `${winRoot}\\server\\share\\x`,
    );
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['a/b/index-1.JS', 'text/javascript; charset=utf-8'],
    ['x.css', 'text/css; charset=utf-8'],
    ['x.svg', 'image/svg+xml'],
    ['x.woff2', 'font/woff2'],
    ['x.unknown', 'application/octet-stream'],
    ['noext', 'application/octet-stream'],
  ])('%s → %s', (f, t) => expect(contentTypeFor(f)).toBe(t));
});

describe('APP_CSP', () => {
  it('allows only the app’s own scripts and forbids plugins, base and framing', () => {
    expect(APP_CSP).toContain("script-src 'self'");
    expect(APP_CSP).not.toMatch(/script-src[^;]*unsafe/);
    expect(APP_CSP).toContain("object-src 'none'");
    expect(APP_CSP).toContain("base-uri 'none'");
    expect(APP_CSP).toContain("frame-ancestors 'none'");
  });
});

describe('senderRefusal', () => {
  const ok = { fromMainWindow: true, frameKnown: true, topFrame: true, url: APP_ENTRY_URL };
  it('trusts the main window’s top frame on the app’s page', () =>
    expect(senderRefusal(ok)).toBeNull());
  it.each([
    [{ ...ok, fromMainWindow: false }, /own window/],
    [{ ...ok, frameKnown: false, url: undefined }, /gone away/],
    [{ ...ok, topFrame: false }, /embedded frames/],
    [{ ...ok, url: 'https://example.com/' }, /own pages/],
    [{ ...ok, url: 'file:///tmp/x.html' }, /own pages/],
  ])('refuses %o', (facts, why) => expect(senderRefusal(facts)).toMatch(why));
});
