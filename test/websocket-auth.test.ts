import jwt from 'jsonwebtoken';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import WebSocket from 'ws';
import { DEVELOPMENT_JWT_SECRET } from '../src/config/config.js';
import type { RestaurantSummary } from '../src/services/restaurant-directory.js';
import { KitchenQueueDocument } from './generated/graphql.js';
import { closed, createRestaurant, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from './support/harness.js';

let t: TestApp;
let restaurant: RestaurantSummary;
beforeAll(async () => {
  t = await startTestApp();
  restaurant = await createRestaurant(t.app);
});
afterAll(() => t.stop());

/** A raw graphql-transport-ws socket: what happens before and around connection_ack. */
async function rawSocket(init?: object): Promise<{ socket: WebSocket; messages: unknown[] }> {
  const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
  const messages: unknown[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString())));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  if (init) socket.send(JSON.stringify({ type: 'connection_init', payload: init }));
  return { socket, messages };
}

describe('connection_init', () => {
  const sign = (claims: object) => jwt.sign(claims, DEVELOPMENT_JWT_SECRET, { algorithm: 'HS256', expiresIn: 60 });

  test.each([
    ['no token', {}],
    ['garbage', { authorization: 'Bearer not-a-token' }],
    ['wrong signature', { authorization: `Bearer ${jwt.sign({ sub: 'x', role: 'KITCHEN' }, 'other-secret', { expiresIn: 60 })}` }],
    ['expired', { authorization: `Bearer ${jwt.sign({ sub: 'x', role: 'KITCHEN', exp: Math.floor(Date.now() / 1000) - 10 }, DEVELOPMENT_JWT_SECRET)}` }],
  ])('%s: closed with 4403 before connection_ack', async (_name, payload) => {
    const { socket, messages } = await rawSocket(payload);
    const close = await closed(socket);
    expect(close.code).toBe(4403);
    expect(messages).toEqual([]);
  });

  test('a restaurant that does not exist: 4403', async () => {
    const token = sign({ sub: 'x', role: 'KITCHEN', restaurantId: '00000000-0000-4000-8000-000000000000' });
    const { socket, messages } = await rawSocket({ authorization: `Bearer ${token}` });
    expect((await closed(socket)).code).toBe(4403);
    expect(messages).toEqual([]);
  });

  test('a bare token without "Bearer " is accepted', async () => {
    const { socket, messages } = await rawSocket({ authorization: tokenFor(t.app, restaurant, 'KITCHEN') });
    await new Promise((resolve) => socket.once('message', resolve));
    expect(messages).toEqual([{ type: 'connection_ack' }]);
    socket.close();
  });

  test.each(['Authorization', 'AUTHORIZATION'])('the key %s is read like "authorization" (header names are case-insensitive)', async (key) => {
    const { socket, messages } = await rawSocket({ [key]: `Bearer ${tokenFor(t.app, restaurant, 'KITCHEN')}` });
    await new Promise((resolve) => socket.once('message', resolve));
    expect(messages).toEqual([{ type: 'connection_ack' }]);
    socket.close();
  });

  test('no connection_init at all: closed with 4408 after the wait', async () => {
    const { socket, messages } = await rawSocket();
    const close = await closed(socket);
    expect(close.code).toBe(4408);
    expect(messages).toEqual([]);
  });
});

test('a token that expires while the socket is open closes it with 4403 "Token expired"', async () => {
  const token = tokenFor(t.app, restaurant, 'KITCHEN', 2);
  const exp = (jwt.decode(token) as { exp: number }).exp * 1000;
  let socket: WebSocket | undefined;
  const client = wsClient(t.wsUrl, token, { on: { connected: (s) => (socket = s as WebSocket) } });
  const screen = subscribe(client, KitchenQueueDocument, {});
  await screen.take(1);
  const close = await closed(socket!);
  expect(close).toEqual({ code: 4403, reason: 'Token expired' });
  expect(Date.now()).toBeGreaterThanOrEqual(exp - 50);
  expect(Date.now()).toBeLessThan(exp + 1000);
  await client.dispose();
});

test('limits and error codes apply on sockets as on HTTP', async () => {
  const client = wsClient(t.wsUrl, tokenFor(t.app, restaurant, 'KITCHEN'));
  const run = (query: string) =>
    new Promise<readonly { message: string; extensions?: Record<string, unknown> }[] | undefined>((resolve) => {
      client.subscribe(
        { query },
        { next: (value) => resolve(value.errors), error: (errors) => resolve(errors as never), complete: () => resolve(undefined) },
      );
    });
  const ofType = (depth: number): string => (depth === 0 ? 'name' : `ofType { ${ofType(depth - 1)} }`);
  const [aliases, depth, unknown] = await Promise.all([
    run(`{ ${Array.from({ length: 31 }, (_, i) => `a${i}: me { id }`).join(' ')} }`),
    run(`{ __type(name: "Order") { fields { type { ${ofType(12)} } } } }`),
    run('{ nope }'),
  ]);
  expect(aliases?.[0]?.message).toMatch(/Aliases limit of 30/);
  expect(depth?.[0]?.message).toMatch(/Query depth limit of 12/);
  for (const errors of [aliases, depth, unknown]) expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  await client.dispose();
});
