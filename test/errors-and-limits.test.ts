import { request } from 'node:http';
import { pino } from 'pino';
import { beforeAll, describe, expect, test } from 'vitest';
import { DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/config/config.js';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  MeDocument,
  OrderDocument,
  PlaceOrderDocument,
  RecallOrderDocument,
  SetItemStatusDocument,
  SetOrderRushDocument,
  SetOrderStatusDocument,
  UpdateOrderDocument,
} from './generated/graphql.js';
import { counters, events } from './support/db.js';
import { createRestaurant, failure, gql, newKey, ok, startTestApp, type TestApp, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();

interface RawResponse {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
  text: string;
}

/** A POST of a raw body (a string is sent as is). */
async function post(url: string, body: string, token?: string): Promise<RawResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  const text = await response.text();
  let parsed: RawResponse['body'] = {};
  try {
    parsed = JSON.parse(text) as RawResponse['body'];
  } catch {
    // not JSON: left empty
  }
  return { status: response.status, body: parsed, text };
}

const query = (url: string, source: string, token?: string, variables?: object) => post(url, JSON.stringify({ query: source, variables }), token);

/** A request with a chunked body (no content-length), written in pieces. */
function postChunked(url: string, body: string, token: string): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'transfer-encoding': 'chunked' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, text }));
      },
    );
    // The server may close the socket once it has refused the body: only the response matters.
    req.on('error', (error) => (req.destroyed && error.message.match(/EPIPE|ECONNRESET|socket hang up/) ? undefined : reject(error)));
    for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.slice(i, i + 16 * 1024));
    req.end();
  });
}

const SECRET_MESSAGE = 'relation "secret" does not exist at SELECT * FROM secret WHERE id = $1';

/** Makes the reader and the workflow throw as a driver would, runs `check`, and puts them back. */
async function withBrokenServices(app: TestApp['app'], check: () => Promise<void>) {
  const { reader, orders } = app.services;
  const driverError = () => Object.assign(new Error(SECRET_MESSAGE), { code: '42P01', detail: 'secret detail', query: 'SELECT 1' });
  Object.assign(reader, { order: async () => Promise.reject(driverError()) });
  Object.assign(orders, { bumpOrder: async () => Promise.reject(driverError()) });
  try {
    await check();
  } finally {
    Reflect.deleteProperty(reader, 'order');
    Reflect.deleteProperty(orders, 'bumpOrder');
  }
}

describe('masked internal errors', () => {
  async function expectMasked(app: TestApp, token: string, id: string) {
    await withBrokenServices(app.app, async () => {
      const read = await query(app.url, 'query($id: ID!) { order(id: $id) { id } }', token, { id });
      const bump = await query(app.url, 'mutation($id: ID!) { bumpOrder(id: $id) { id } }', token, { id });
      for (const [what, response, field] of [
        ['order', read, 'order'],
        ['bumpOrder', bump, 'bumpOrder'],
      ] as const) {
        expect(response.status, what).toBe(200);
        expect(response.body.data, what).toEqual(field === 'order' ? { order: null } : null);
        expect(response.body.errors, what).toHaveLength(1);
        expect(response.body.errors![0]!.extensions, what).toEqual({ code: 'INTERNAL_SERVER_ERROR' });
        for (const leak of ['secret', 'SELECT', '42P01', 'stack', 'exception', 'originalError', 'at ']) {
          expect(response.text, `${what} leaks ${leak}`).not.toContain(leak);
        }
      }
    });
    // Put back: the same calls work again.
    expect((await ok(app.url, OrderDocument, { id }, token)).order?.id).toBe(id);
  }

  test('an internal error is INTERNAL_SERVER_ERROR with no message, SQL or stack', async () => {
    const restaurant = await createRestaurant(t.app);
    const owner = tokenFor(t.app, restaurant, 'OWNER');
    const order = (await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, owner)).placeOrder;
    await expectMasked(t, owner, order.id);
  });

  test('the same in production', async () => {
    const production = await startTestApp({ env: { NODE_ENV: 'production', JWT_SECRET: 'a-production-test-secret' } });
    try {
      const restaurant = await createRestaurant(production.app);
      const owner = tokenFor(production.app, restaurant, 'OWNER');
      const order = (await ok(production.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, owner))
        .placeOrder;
      await expectMasked(production, owner, order.id);
      // The development secret means nothing there.
      const devToken = tokenFor(t.app, restaurant, 'OWNER');
      expect(await failure(gql(production.url, MeDocument, {}, devToken))).toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      await production.stop();
    }
  });

  test('production refuses to start without a JWT_SECRET of its own', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: DEVELOPMENT_JWT_SECRET })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'mine' })).toMatchObject({ production: true, jwt: { secret: 'mine' } });
    expect(loadConfig({})).toMatchObject({ production: false, jwt: { secret: DEVELOPMENT_JWT_SECRET } });
  });
});

describe('what the server logs', () => {
  test("a client's error (bad input, not found, an illegal bump) is not logged as an error; an internal one is, once", async () => {
    const entries: { level: number; msg?: string }[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void entries.push(JSON.parse(line)) });
    const app = await startTestApp({ log });
    try {
      const restaurant = await createRestaurant(app.app);
      const owner = tokenFor(app.app, restaurant, 'OWNER');
      const order = (await ok(app.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, owner)).placeOrder;
      const bad = await failure(gql(app.url, PlaceOrderDocument, { input: { clientRequestId: '', items: [{ name: 'A' }] } }, owner));
      expect(bad).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.clientRequestId' });
      expect(await failure(gql(app.url, BumpOrderDocument, { id: '00000000-0000-4000-8000-000000000000' }, owner))).toMatchObject({ code: 'NOT_FOUND' });
      await ok(app.url, CancelOrderDocument, { id: order.id, reason: 'test' }, owner);
      expect(await failure(gql(app.url, BumpOrderDocument, { id: order.id }, owner))).toMatchObject({ code: 'INVALID_TRANSITION' });
      expect(entries.filter((e) => e.level >= 50)).toEqual([]);

      await withBrokenServices(app.app, async () => {
        await query(app.url, 'mutation($id: ID!) { bumpOrder(id: $id) { id } }', owner, { id: order.id });
      });
      expect(entries.filter((e) => e.level >= 50).map((e) => e.msg)).toEqual(['internal error']);
    } finally {
      await app.stop();
    }
  });
});

describe('request limits', () => {
  let token: string;
  beforeAll(async () => {
    token = tokenFor(t.app, await createRestaurant(t.app), 'KITCHEN');
  });

  const expectRefused = (response: RawResponse, what: string) => {
    expect(response.body.errors?.[0]?.extensions?.code, `${what}: ${response.text.slice(0, 300)}`).toBe('BAD_USER_INPUT');
    expect(response.body.data ?? null, what).toBeNull();
  };

  test('query depth: 12 passes, 13 is BAD_USER_INPUT', async () => {
    // __type (1), n × ofType, name (1): depth n + 2.
    const deep = (n: number) => `{ __type(name: "Order") { ${'ofType { '.repeat(n)}name${' }'.repeat(n)} } }`;
    const at = await query(t.url, deep(10), token);
    expect(at.status).toBe(200);
    expect(at.body).toEqual({ data: { __type: { ofType: null } } });
    expectRefused(await query(t.url, deep(11), token), 'depth 13');
    // Fragments count too.
    const viaFragment = `query { ...F } fragment F on Query { __type(name: "Order") { ${'ofType { '.repeat(11)}name${' }'.repeat(11)} } }`;
    expectRefused(await query(t.url, viaFragment, token), 'depth 13 through a fragment');
  });

  test('aliases: 30 pass, 31 are BAD_USER_INPUT', async () => {
    const aliased = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { role }`).join(' ')} }`;
    const at = await query(t.url, aliased(30), token);
    expect(at.status).toBe(200);
    expect(Object.keys(at.body.data ?? {})).toHaveLength(30);
    expect(at.body.data!.a29).toEqual({ role: 'KITCHEN' });
    expectRefused(await query(t.url, aliased(31), token), '31 aliases');
  });

  test('tokens: a 5,000-token document passes, 5,001 is BAD_USER_INPUT', async () => {
    // { orders ( status : [ ...n ] ) { pageInfo { hasNextPage } } }: 15 tokens besides the n values.
    const document = (n: number) => `{ orders(status: [${' PENDING'.repeat(n)} ]) { pageInfo { hasNextPage } } }`;
    const at = await query(t.url, document(4985), token);
    expect(at.body).toEqual({ data: { orders: { pageInfo: { hasNextPage: false } } } });
    expectRefused(await query(t.url, document(4986), token), '5001 tokens');
  });

  test('bodies: 100 KB pass, one byte more is 413 (chunked too); malformed JSON is 400', async () => {
    const LIMIT = 100 * 1024;
    const padded = (bytes: number) => {
      const shell = JSON.stringify({ query: '{ me { role } }' });
      return JSON.stringify({ query: `{ me { role } }${' '.repeat(bytes - shell.length)}` });
    };
    expect(Buffer.byteLength(padded(LIMIT))).toBe(LIMIT);
    const at = await post(t.url, padded(LIMIT), token);
    expect([at.status, at.body]).toEqual([200, { data: { me: { role: 'KITCHEN' } } }]);
    expect((await post(t.url, padded(LIMIT + 1), token)).status).toBe(413);
    expect((await post(t.url, padded(1024 * 1024), token)).status).toBe(413);

    // Without a content-length, the same limits.
    const chunkedAt = await postChunked(t.url, padded(LIMIT), token);
    expect([chunkedAt.status, JSON.parse(chunkedAt.text)]).toEqual([200, { data: { me: { role: 'KITCHEN' } } }]);
    expect((await postChunked(t.url, padded(LIMIT + 1), token)).status).toBe(413);
    expect((await postChunked(t.url, padded(1024 * 1024), token)).status).toBe(413);

    for (const body of ['{"query": "{ me { role } }"', 'not json', '{"query": }']) {
      const response = await post(t.url, body, token);
      expect(response.status, body).toBe(400);
      expect(response.body.errors?.length, body).toBeGreaterThan(0);
    }
  });

  test('parse errors, unknown fields and variables of the wrong type are BAD_USER_INPUT', async () => {
    expectRefused(await query(t.url, '{ me { role }', token), 'parse error');
    expectRefused(await query(t.url, '{ me { salary } }', token), 'unknown field');
    expectRefused(await query(t.url, 'query($id: ID!) { order(id: $id) { id } }', token, {}), 'missing variable');
    expectRefused(await query(t.url, 'query($id: ID!) { order(id: $id) { id } }', token, { id: { nested: true } }), 'object as ID');
    expectRefused(await query(t.url, 'query($first: Int) { orders(first: $first) { edges { cursor } } }', token, { first: 'ten' }), 'string as Int');
    expectRefused(
      await query(t.url, 'query($s: [OrderStatus!]) { orders(status: $s) { edges { cursor } } }', token, { s: ['LOST'] }),
      'unknown enum value',
    );
  });

  test('one token may send 60 requests at once', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, () => gql(t.url, MeDocument, {}, token)));
    expect(results.filter((r) => r.errors || r.data?.me.role !== 'KITCHEN')).toEqual([]);
  });

  test('/healthz and /readyz answer 200', async () => {
    const base = t.url.replace(/\/graphql$/, '');
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready' }]);
  });
});

describe('kitchen events', () => {
  test('each successful mutation appends exactly one event; failed ones and retries append none', async () => {
    const restaurant = await createRestaurant(t.app);
    const pos = tokenFor(t.app, restaurant, 'CASHIER');
    const cook = tokenFor(t.app, restaurant, 'KITCHEN');
    const log = async () => (await events(t.app, restaurant.id)).map((e) => [e.kind, e.previousStatus]);
    const expected: [string, string | null][] = [];
    async function succeeds(kind: string, previousStatus: string | null, run: () => Promise<{ errors?: unknown[] }>) {
      const response = await run();
      expect(response.errors, kind).toBeUndefined();
      expected.push([kind, previousStatus]);
      expect(await log()).toEqual(expected);
    }
    /** Runs `run` and checks that it appended no event and moved neither counter. */
    async function writesNothing(what: string, run: () => Promise<void>) {
      const before = await counters(t.app, restaurant.id);
      await run();
      expect(await log(), what).toEqual(expected);
      expect(await counters(t.app, restaurant.id), what).toEqual(before);
    }
    const fails = (what: string, code: string, run: () => Promise<{ errors?: { extensions?: Record<string, unknown> }[] }>) =>
      writesNothing(what, async () => {
        const response = await run();
        expect(response.errors?.[0]?.extensions?.code, what).toBe(code);
      });

    const input = { clientRequestId: newKey(), items: [{ name: 'Burger' }, { name: 'Fries' }] };
    let id = '';
    await succeeds('ORDER_CREATED', null, async () => {
      const response = await gql(t.url, PlaceOrderDocument, { input }, pos);
      id = response.data!.placeOrder.id;
      return response;
    });
    const order = (await ok(t.url, OrderDocument, { id }, pos)).order!;
    const [burger, fries] = order.items;

    await writesNothing('idempotent retry', async () => {
      expect((await ok(t.url, PlaceOrderDocument, { input }, pos)).placeOrder.id).toBe(id);
    });
    await fails('same key, other input', 'BAD_USER_INPUT', () =>
      gql(t.url, PlaceOrderDocument, { input: { ...input, table: 'T1' } }, pos),
    );
    await fails('bad input', 'BAD_USER_INPUT', () =>
      gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A', quantity: 0 }] } }, pos),
    );
    await fails('unknown station (after the ticket number was taken)', 'NOT_FOUND', () =>
      gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A', stationId: newKey() }] } }, pos),
    );
    await fails('forbidden', 'FORBIDDEN', () => gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, cook));
    await fails('unauthenticated', 'UNAUTHENTICATED', () => gql(t.url, BumpOrderDocument, { id }, 'garbage'));
    await fails('unknown order', 'NOT_FOUND', () => gql(t.url, BumpOrderDocument, { id: newKey() }, cook));
    await fails('recall PENDING', 'INVALID_TRANSITION', () => gql(t.url, RecallOrderDocument, { id }, cook));
    await fails('stale version', 'VERSION_CONFLICT', () => gql(t.url, BumpOrderDocument, { id, expectedVersion: 7 }, cook));
    await fails('void every item', 'BAD_USER_INPUT', () =>
      gql(t.url, UpdateOrderDocument, { id, input: { voidItemIds: [burger!.id, fries!.id] } }, pos),
    );

    await succeeds('ORDER_UPDATED', null, () => gql(t.url, UpdateOrderDocument, { id, input: { table: 'T3' } }, pos));
    await succeeds('ORDER_UPDATED', null, () => gql(t.url, SetOrderRushDocument, { id, rush: true }, pos));
    await succeeds('ITEM_STATUS_CHANGED', 'PENDING', () => gql(t.url, SetItemStatusDocument, { itemId: burger!.id, status: 'PREPARING' }, cook));
    await succeeds('ITEM_STATUS_CHANGED', null, () => gql(t.url, SetItemStatusDocument, { itemId: fries!.id, status: 'PREPARING' }, cook));
    await fails('item to the status it has', 'INVALID_TRANSITION', () =>
      gql(t.url, SetItemStatusDocument, { itemId: fries!.id, status: 'PREPARING' }, cook),
    );
    await succeeds('ORDER_STATUS_CHANGED', 'PREPARING', () => gql(t.url, BumpOrderDocument, { id }, cook));
    await succeeds('ORDER_STATUS_CHANGED', 'READY', () => gql(t.url, RecallOrderDocument, { id }, cook));
    await fails('setOrderStatus to its own status', 'INVALID_TRANSITION', () =>
      gql(t.url, SetOrderStatusDocument, { id, status: 'PREPARING' }, cook),
    );
    await succeeds('ORDER_STATUS_CHANGED', 'PREPARING', () => gql(t.url, SetOrderStatusDocument, { id, status: 'READY' }, cook));
    await succeeds('ORDER_STATUS_CHANGED', 'READY', () => gql(t.url, CancelOrderDocument, { id, reason: 'gone' }, pos));
    await fails('cancel again', 'INVALID_TRANSITION', () => gql(t.url, CancelOrderDocument, { id }, pos));
    await fails('update a cancelled order', 'INVALID_TRANSITION', () => gql(t.url, UpdateOrderDocument, { id, input: { notes: 'x' } }, pos));

    const rows = await events(t.app, restaurant.id);
    expect(rows.map((e) => e.sequence)).toEqual(rows.map((_, i) => i + 1));
    expect(new Set(rows.map((e) => e.orderId))).toEqual(new Set([id]));
    expect((await ok(t.url, OrderDocument, { id }, pos)).order).toMatchObject({ status: 'CANCELLED', version: rows.length });
    // The failed placeOrders took no ticket number.
    expect((await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'B' }] } }, pos)).placeOrder.number).toBe(2);
  });
});
