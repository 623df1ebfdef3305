import { print } from 'graphql';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { loadConfig, withoutPassword } from '../src/config/config.js';
import { createLogger, serializeError } from '../src/server/logger.js';
import { KitchenQueueDocument, MeDocument, PlaceOrderDocument } from './generated/graphql.js';
import { TEST_DATABASE_URL } from './support/env.js';
import { closed, kitchen, newKey, startTestApp, subscribe, type TestApp, until, wsClient } from './support/harness.js';
import { startServerProcess } from './support/processes.js';

type Line = Record<string, unknown> & { msg: string };

/** The logger's lines as the server writes them, parsed, with a wait for the one a test expects. */
function capturedLog() {
  const raw: string[] = [];
  const waiters = new Set<() => void>();
  const destination = {
    write(line: string) {
      raw.push(line);
      for (const wake of waiters) wake();
    },
  };
  const lines = () => raw.map((line) => JSON.parse(line) as Line);
  return {
    raw,
    lines,
    log: createLogger({ logLevel: 'info', logFormat: 'json' }, destination),
    /** The first line that matches, waiting for it up to `timeoutMs`. */
    async next(match: (line: Line) => boolean, what: string, timeoutMs = 5000): Promise<Line> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines().find(match);
        if (found) return found;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no log line ${what} in ${timeoutMs} ms:\n${raw.join('')}`);
        await new Promise<void>((resolve) => {
          const wake = () => {
            waiters.delete(wake);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const captured = capturedLog();
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ log: captured.log });
});
afterAll(() => t.stop());

function post(body: object, headers: Record<string, string> = {}) {
  return fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('the access line', () => {
  test('one per request: method, path, status, ms, operation name, and the caller\'s request id, returned', async () => {
    const k = await kitchen(t);
    const id = `pos-${randomUUID()}`;
    const response = await post({ query: print(MeDocument) }, { authorization: `Bearer ${k.pos}`, 'x-request-id': id });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe(id);

    const line = await captured.next((l) => l.msg === 'request' && l.reqId === id, `for ${id}`);
    expect(line).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      msg: 'request',
      reqId: id,
      method: 'POST',
      path: '/graphql',
      status: 200,
      ms: expect.any(Number),
      // From the document: the request named none.
      operation: 'Me',
    });
    expect(line.ms as number).toBeGreaterThanOrEqual(0);
    expect(captured.raw.filter((l) => l.includes(id))).toHaveLength(1);
    expect(captured.raw.join('')).not.toContain(k.pos);
  });

  test('a request without an id (or with one unfit for a log line) gets a new one', async () => {
    for (const sent of [undefined, 'two words', 'x'.repeat(129)]) {
      const response = await fetch(t.url.replace('/graphql', '/healthz'), { headers: sent ? { 'x-request-id': sent } : {} });
      const id = response.headers.get('x-request-id')!;
      expect(id, String(sent)).toMatch(UUID);
      const line = await captured.next((l) => l.reqId === id, `for ${id}`);
      expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/healthz', status: 200 });
      expect(line.operation).toBeUndefined();
    }
  });
});

describe('WebSocket lines', () => {
  test('one when a screen is let in and one when it closes: code, duration, restaurant, subject, no token', async () => {
    const k = await kitchen(t);
    const client = wsClient(t.wsUrl, k.cook);
    const queue = subscribe(client, KitchenQueueDocument, {});
    await queue.take(1);
    const open = await captured.next((l) => l.msg === 'socket open' && l.restaurantId === k.restaurant.id, 'socket open');
    const sub = open.sub as string;
    expect(sub).toMatch(/^kitchen-/);
    expect(open).toEqual({ level: 30, time: expect.any(Number), pid: process.pid, hostname: expect.any(String), msg: 'socket open', reqId: expect.stringMatching(UUID), restaurantId: k.restaurant.id, sub });

    await client.dispose();
    const close = await captured.next((l) => l.msg === 'socket closed' && l.reqId === open.reqId, 'socket closed');
    expect(close).toEqual({
      level: 30,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      msg: 'socket closed',
      reqId: open.reqId,
      code: 1000,
      ms: expect.any(Number),
      restaurantId: k.restaurant.id,
      sub,
    });
    expect(captured.raw.join('')).not.toContain(k.cook);
  });

  test('a socket refused at connection_init has a close line too, with its code and no restaurant', async () => {
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    const ended = closed(socket);
    await new Promise((resolve) => socket.once('open', resolve));
    const bogus = 'not.a.token';
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${bogus}` } }));
    expect((await ended).code).toBe(4403);
    const close = await captured.next((l) => l.msg === 'socket closed' && l.code === 4403, 'socket closed 4403');
    expect(close.restaurantId).toBeUndefined();
    expect(close.sub).toBeUndefined();
    expect(captured.raw.join('')).not.toContain(bogus);
  });
});

describe('error lines', () => {
  const constraint = `logging_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const secret = `secret-notes-${randomUUID()}`;
  beforeAll(async () => {
    // A real failure in the database for this test's orders alone: the other files share the table.
    await t.app.orm.em.getConnection().execute(`alter table orders add constraint ${constraint} check (notes is distinct from '${secret}') not valid`);
  });
  afterAll(async () => {
    await t.app.orm.em.getConnection().execute(`alter table orders drop constraint if exists ${constraint}`);
  });

  test('a query that fails in the database: the request id, the error, and no SQL, values or token', async () => {
    const k = await kitchen(t);
    const id = `pos-${randomUUID()}`;
    const customer = `customer-${randomUUID()}`;
    const response = await post(
      { query: print(PlaceOrderDocument), variables: { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }], notes: secret, customerName: customer } } },
      { authorization: `Bearer ${k.pos}`, 'x-request-id': id },
    );
    const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0]!.extensions.code).toBe('INTERNAL_SERVER_ERROR');

    const line = await captured.next((l) => l.msg === 'internal error' && l.reqId === id, `internal error for ${id}`);
    expect(line).toEqual({
      level: 50,
      time: expect.any(Number),
      pid: process.pid,
      hostname: expect.any(String),
      msg: 'internal error',
      reqId: id,
      err: {
        type: 'DatabaseError',
        message: `new row for relation "orders" violates check constraint "${constraint}"`,
        code: '23514',
        constraint,
        table: 'orders',
      },
    });
    const access = await captured.next((l) => l.msg === 'request' && l.reqId === id, `request ${id}`);
    expect(access).toMatchObject({ status: 200, operation: 'PlaceOrder' });
    const all = captured.raw.join('');
    for (const leak of [secret, customer, k.pos, 'insert into', 'Failing row']) expect(all).not.toContain(leak);
  });

  test("an ORM query's error: knex's statement and PostgreSQL's quoted value are cut from its message", async () => {
    const value = `secret-${randomUUID()}`;
    const error = await t.app.orm.em
      .getConnection()
      .execute('select ?::uuid as id', [value])
      .then(() => undefined, (e: unknown) => e);
    expect(String((error as Error).message)).toContain(value);
    expect(serializeError(error)).toEqual({ type: 'DatabaseError', message: 'invalid input syntax for type uuid: "…"', code: '22P02' });
    expect(JSON.stringify(serializeError(error))).not.toContain(value);
  });

  test("a pooled connection the database drops: one short line, not the pg client (as on SIGINT)", async () => {
    const appName = `kds-logging-${randomUUID().slice(0, 8)}`;
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('application_name', appName);
    const own = capturedLog();
    const app = await startTestApp({ log: own.log, env: { DATABASE_URL: url.toString() } });
    try {
      const k = await kitchen(app);
      // An order goes through the statements' pool, which keeps its connection idle afterwards.
      const placed = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${k.pos}` },
        body: JSON.stringify({ query: print(PlaceOrderDocument), variables: { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }] } } }),
      });
      expect(placed.status).toBe(200);
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      try {
        const { rows } = await admin.query('select pg_terminate_backend(pid) as done from pg_stat_activity where application_name = $1', [appName]);
        expect(rows.length).toBeGreaterThan(0);
      } finally {
        await admin.end();
      }
      const line = await own.next((l) => l.msg === 'idle database connection', 'idle database connection');
      expect(line.err).toEqual({ type: 'DatabaseError', message: 'terminating connection due to administrator command', code: '57P01' });
      const raw = own.raw.find((l) => l.includes('idle database connection'))!;
      expect(raw.length).toBeLessThan(300);
      expect(raw).not.toContain('connectionParameters');
    } finally {
      await app.stop();
    }
  });
});

describe('the start line and the configuration', () => {
  test('address, database URL without its password, pub/sub mode, GraphiQL URL', async () => {
    const url = new URL(TEST_DATABASE_URL);
    url.password = 'hunter2-not-needed';
    const server = await startServerProcess({ DATABASE_URL: url.toString(), LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    // pino writes stdout asynchronously: its line may come after the banner's.
    await until(() => server.output().stdout.includes('"msg":"listening"'), 'the start line');
    const line = server
      .output()
      .stdout.split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Line)
      .find((l) => l.msg === 'listening');
    const port = new URL(server.url).port;
    expect(line).toMatchObject({
      msg: 'listening',
      address: `127.0.0.1:${port}`,
      database: withoutPassword(url.toString()),
      pubsub: 'in-process',
      graphiql: server.url,
    });
    expect(line!.database).not.toContain('hunter2');
    expect(server.output().stdout).not.toContain('hunter2');
  });

  test('withoutPassword drops it from the userinfo and the query', () => {
    expect(withoutPassword('postgres://kds:s3cret@db.internal:5432/kds?password=other&sslmode=require')).toBe(
      'postgres://kds@db.internal:5432/kds?sslmode=require',
    );
    expect(withoutPassword('redis://:s3cret@127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  test('LOG_FORMAT: json in production, pretty elsewhere, unless set; LOG_LEVEL as given', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret' };
    expect(loadConfig(production).logFormat).toBe('json');
    expect(loadConfig({}).logFormat).toBe('pretty');
    expect(loadConfig({ ...production, LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(loadConfig({ LOG_FORMAT: 'json', LOG_LEVEL: 'warn' })).toMatchObject({ logFormat: 'json', logLevel: 'warn' });
    expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
  });
});
