import { print } from 'graphql';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { MeDocument } from './generated/graphql.js';
import { kitchen, startTestApp, type TestApp } from './support/harness.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** node:http, not fetch: the request carries exactly the Origin a browser would send. */
function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const corsHeaders = (reply: Reply) => Object.fromEntries(Object.entries(reply.headers).filter(([name]) => name.startsWith('access-control-')));

function preflight(url: string, origin: string) {
  return send(url, 'OPTIONS', {
    origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  });
}

async function me(t: TestApp, origin: string) {
  const k = await kitchen(t);
  return send(
    t.url,
    'POST',
    { origin, 'content-type': 'application/json', authorization: `Bearer ${k.pos}` },
    JSON.stringify({ query: print(MeDocument) }),
  );
}

const PREFLIGHT_ALLOWS = {
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers': 'authorization, content-type',
  'access-control-max-age': '600',
};

describe('CORS_ORIGINS unset', () => {
  let t: TestApp;
  beforeAll(async () => void (t = await startTestApp()));
  afterAll(() => t.stop());

  test('a preflight from any page: `*`, never credentials', async () => {
    const reply = await preflight(t.url, 'https://pos.example.com');
    expect(reply.status).toBe(204);
    expect(corsHeaders(reply)).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-request-id',
      ...PREFLIGHT_ALLOWS,
    });
  });

  test('the request itself: answered, `*`, never credentials', async () => {
    const reply = await me(t, 'https://pos.example.com');
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).data.me).toBeTruthy();
    expect(corsHeaders(reply)).toEqual({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-request-id' });
  });

  test('no Origin (not a browser, or a same-origin GET): no CORS headers', async () => {
    const reply = await send(t.url.replace('/graphql', '/healthz'), 'GET', {});
    expect(reply.status).toBe(200);
    expect(corsHeaders(reply)).toEqual({});
  });
});

describe('CORS_ORIGINS set', () => {
  const allowed = ['https://pos.example.com', 'http://localhost:5173'];
  let t: TestApp;
  beforeAll(async () => void (t = await startTestApp({ env: { CORS_ORIGINS: allowed.join(', ') } })));
  afterAll(() => t.stop());

  test('a listed origin: its own origin and credentials, on the preflight and the request', async () => {
    for (const origin of allowed) {
      const pre = await preflight(t.url, origin);
      expect(pre.status).toBe(204);
      expect(pre.headers.vary).toBe('Origin');
      expect(corsHeaders(pre)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-request-id',
        ...PREFLIGHT_ALLOWS,
      });
      const reply = await me(t, origin);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body).data.me).toBeTruthy();
      expect(corsHeaders(reply)).toEqual({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': 'x-request-id',
      });
    }
  });

  test('any other origin: no CORS headers at all, on the preflight and the request', async () => {
    for (const origin of ['https://evil.example.com', 'https://pos.example.com:8443', 'http://pos.example.com']) {
      const pre = await preflight(t.url, origin);
      expect(pre.status).toBe(204);
      expect(corsHeaders(pre), origin).toEqual({});
      expect(corsHeaders(await me(t, origin)), origin).toEqual({});
    }
  });

  test('a same-origin page (GraphiQL) needs none and is answered', async () => {
    const own = new URL(t.url).origin;
    const reply = await me(t, own);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).data.me).toBeTruthy();
    expect(corsHeaders(reply)).toEqual({});
  });
});

test('CORS_ORIGINS takes origins only', () => {
  expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
  expect(loadConfig({}).corsOrigins).toBeUndefined();
  for (const bad of ['https://a.example/', 'https://a.example/app', 'a.example', '*']) {
    expect(() => loadConfig({ CORS_ORIGINS: bad }), bad).toThrow(/CORS_ORIGINS/);
  }
});
