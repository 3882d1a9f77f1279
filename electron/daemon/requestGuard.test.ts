import { describe, expect, it } from 'vitest';
import { checkRequest, cookieValue, tokenCookieName, type RequestFacts } from './requestGuard.js';
import { resolveStatic } from './staticFiles.js';

const TOKEN = 'a'.repeat(43);
const base: RequestFacts = {
  host: '127.0.0.1:4747',
  origin: undefined,
  cookie: undefined,
  authorization: undefined,
  queryToken: null,
  port: 4747,
};

describe('checkRequest', () => {
  const cookie = `${tokenCookieName(4747)}=${TOKEN}`;
  it.each<[string, Partial<RequestFacts>, string | number]>([
    ['cookie', { cookie }, 'cookie'],
    ['cookie among others', { cookie: `x=1; ${cookie}; y=2` }, 'cookie'],
    ['bearer header', { authorization: `Bearer ${TOKEN}` }, 'header'],
    ['query token', { queryToken: TOKEN }, 'query'],
    ['localhost name', { host: 'localhost:4747', cookie }, 'cookie'],
    ['same-origin browser', { origin: 'http://127.0.0.1:4747', cookie }, 'cookie'],
    ['no token', {}, 401],
    ['wrong token', { queryToken: 'b'.repeat(43) }, 401],
    ['token of a shorter length', { queryToken: 'a' }, 401],
    ["another port's cookie", { cookie: `${tokenCookieName(4748)}=${TOKEN}` }, 401],
    ['DNS rebinding host', { host: 'evil.example:4747', cookie }, 421],
    ['wrong port in host', { host: '127.0.0.1:80', cookie }, 421],
    ['no host', { host: undefined, cookie }, 421],
    ['foreign origin', { origin: 'http://evil.example', cookie }, 403],
    ['null origin', { origin: 'null', cookie }, 403],
    ['https origin of the same host', { origin: 'https://127.0.0.1:4747', cookie }, 403],
  ])('%s', (_name, patch, want) => {
    const v = checkRequest({ ...base, ...patch }, TOKEN);
    if (typeof want === 'string') expect(v).toEqual({ ok: true, via: want });
    else expect(v).toMatchObject({ ok: false, status: want });
  });
});

describe('cookieValue', () => {
  it('finds a cookie by exact name', () => {
    expect(cookieValue('a=1; tandem_token_1=x; b=2', 'tandem_token_1')).toBe('x');
    expect(cookieValue('tandem_token_10=x', 'tandem_token_1')).toBeNull();
    expect(cookieValue(undefined, 'a')).toBeNull();
  });
});

describe('resolveStatic', () => {
  const root = '/srv/ui';
  it.each<[string, string | null]>([
    ['/', '/srv/ui/index.html'],
    ['/index.html', '/srv/ui/index.html'],
    ['/assets/index-1.js', '/srv/ui/assets/index-1.js'],
    ['/../etc/passwd', null],
    ['/%2e%2e/etc/passwd', null],
    ['/assets/%2e%2e/%2e%2e/x', null],
    ['/..%5cx', null],
    ['/.env', null],
    ['/%00', null],
    ['/%E0%A4%A', null],
  ])('%s', (p, want) => expect(resolveStatic(root, p)).toBe(want));
});
