import jwt from 'jsonwebtoken';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEVELOPMENT_JWT_SECRET } from '../src/config/config.js';
import type { Role } from '../src/domain/vocabulary.js';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  KitchenQueueNowDocument,
  MeDocument,
  OrderDocument,
  OrdersDocument,
  PlaceOrderDocument,
  RecallOrderDocument,
  SetItemStatusDocument,
  SetOrderRushDocument,
  SetOrderStatusDocument,
  UpdateOrderDocument,
  type OrderFieldsFragment,
} from './generated/graphql.js';
import { eventCount } from './support/db.js';
import { createRestaurant, failure, gql, newKey, ok, startTestApp, type TestApp, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();

const ROLES: Role[] = ['OWNER', 'MANAGER', 'CASHIER', 'SERVER', 'KITCHEN', 'EXPO'];
const now = () => Math.floor(Date.now() / 1000);
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `me` with a raw Authorization header (or none). */
async function meWith(authorization?: string) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
    body: JSON.stringify({ query: '{ me { id role restaurant { id } } }' }),
  });
  return (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

describe('HTTP bearer tokens', () => {
  test('a good token works, with or without its optional name', async () => {
    const restaurant = await createRestaurant(t.app);
    const token = jwt.sign({ sub: 'pos-1', restaurantId: restaurant.id, role: 'CASHIER', name: 'Front POS' }, DEVELOPMENT_JWT_SECRET, {
      algorithm: 'HS256',
      expiresIn: 60,
    });
    expect(await meWith(`Bearer ${token}`)).toEqual({ data: { me: { id: 'pos-1', role: 'CASHIER', restaurant: { id: restaurant.id } } } });
    const { me } = await ok(t.url, MeDocument, {}, tokenFor(t.app, restaurant, 'EXPO'));
    expect(me).toMatchObject({ role: 'EXPO', name: null, restaurant: { id: restaurant.id } });
  });

  test('every bad token is UNAUTHENTICATED', async () => {
    const restaurant = await createRestaurant(t.app);
    const claims = { sub: 'screen-1', restaurantId: restaurant.id, role: 'KITCHEN' };
    const sign = (payload: object, secret = DEVELOPMENT_JWT_SECRET, options: jwt.SignOptions = { expiresIn: 60 }) =>
      jwt.sign(payload, secret, { algorithm: 'HS256', ...options });
    const without = (claim: string) => Object.fromEntries(Object.entries({ ...claims, exp: now() + 60 }).filter(([k]) => k !== claim));
    const good = sign(claims);
    const [header, payload] = good.split('.');

    const bad: Record<string, string | undefined> = {
      'no header': undefined,
      'empty bearer': 'Bearer ',
      'bearer keyword only': 'Bearer',
      garbage: 'Bearer not-a-jwt',
      'three garbage parts': 'Bearer a.b.c',
      'wrong signature': `Bearer ${sign(claims, 'some-other-secret')}`,
      'tampered payload': `Bearer ${header}.${b64url({ ...claims, role: 'OWNER', exp: now() + 60 })}.${good.split('.')[2]}`,
      'alg none': `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...claims, exp: now() + 60 })}.`,
      'alg none, signature kept': `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${payload}.${good.split('.')[2]}`,
      'HS512 with the right secret': `Bearer ${jwt.sign({ ...claims }, DEVELOPMENT_JWT_SECRET, { algorithm: 'HS512', expiresIn: 60 })}`,
      expired: `Bearer ${sign({ ...claims, exp: now() - 5 }, DEVELOPMENT_JWT_SECRET, {})}`,
      'missing sub': `Bearer ${sign(without('sub'), DEVELOPMENT_JWT_SECRET, {})}`,
      'missing restaurantId': `Bearer ${sign(without('restaurantId'), DEVELOPMENT_JWT_SECRET, {})}`,
      'missing role': `Bearer ${sign(without('role'), DEVELOPMENT_JWT_SECRET, {})}`,
      'missing exp': `Bearer ${sign(without('exp'), DEVELOPMENT_JWT_SECRET, {})}`,
      'empty sub': `Bearer ${sign({ ...claims, sub: '' })}`,
      'role not a Role': `Bearer ${sign({ ...claims, role: 'CHEF' })}`,
      'role in lower case': `Bearer ${sign({ ...claims, role: 'kitchen' })}`,
      'restaurantId not a uuid': `Bearer ${sign({ ...claims, restaurantId: 'not-a-uuid' })}`,
      'restaurant that does not exist': `Bearer ${sign({ ...claims, restaurantId: randomUUID() })}`,
    };
    const responses = await Promise.all(Object.values(bad).map((authorization) => meWith(authorization)));
    const outcome = (response: Awaited<ReturnType<typeof meWith>>) => [response.errors?.[0]?.extensions?.code, response.data ?? null];
    expect(Object.fromEntries(Object.keys(bad).map((what, i) => [what, outcome(responses[i]!)]))).toEqual(
      Object.fromEntries(Object.keys(bad).map((what) => [what, ['UNAUTHENTICATED', null]])),
    );
    // The good one, to show the cases above differ from it only where they say.
    expect(await meWith(`Bearer ${good}`)).toMatchObject({ data: { me: { id: 'screen-1', role: 'KITCHEN' } } });
  });

  test('a token that worked is refused from the second of its exp on', async () => {
    const restaurant = await createRestaurant(t.app);
    const token = tokenFor(t.app, restaurant, 'KITCHEN', 1);
    expect(await meWith(`Bearer ${token}`)).toMatchObject({ data: { me: { role: 'KITCHEN' } } });
    const { exp } = jwt.decode(token) as { exp: number };
    await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now()));
    const response = await meWith(`Bearer ${token}`);
    expect(response.errors?.map((e) => [e.message, e.extensions?.code])).toEqual([['Token expired', 'UNAUTHENTICATED']]);
  });

  test('a mutation without a valid token is UNAUTHENTICATED and writes nothing', async () => {
    const restaurant = await createRestaurant(t.app);
    const order = (await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, tokenFor(t.app, restaurant, 'OWNER'))).placeOrder;
    const expired = tokenFor(t.app, restaurant, 'OWNER', -10);
    for (const token of [undefined, 'garbage', expired]) {
      expect(await failure(gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'B' }] } }, token))).toMatchObject({
        code: 'UNAUTHENTICATED',
      });
      expect(await failure(gql(t.url, BumpOrderDocument, { id: order.id }, token))).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    expect(await eventCount(t.app, restaurant.id)).toBe(1);
  });

  describe('with JWT_ISSUER and JWT_AUDIENCE configured', () => {
    let strict: TestApp;
    beforeAll(async () => (strict = await startTestApp({ env: { JWT_ISSUER: 'kds', JWT_AUDIENCE: 'screens' } })));
    afterAll(() => strict.stop());

    test('iss and aud must match', async () => {
      const restaurant = await createRestaurant(strict.app);
      const claims = { sub: 'screen-1', restaurantId: restaurant.id, role: 'KITCHEN' };
      const sign = (options: jwt.SignOptions) => jwt.sign(claims, DEVELOPMENT_JWT_SECRET, { algorithm: 'HS256', expiresIn: 60, ...options });
      const me = async (token: string) => gql(strict.url, MeDocument, {}, token);

      expect((await me(sign({ issuer: 'kds', audience: 'screens' }))).data?.me).toMatchObject({ id: 'screen-1', role: 'KITCHEN' });
      expect((await me(tokenFor(strict.app, restaurant, 'EXPO'))).data?.me).toMatchObject({ role: 'EXPO' });
      for (const [what, token] of [
        ['no iss/aud', sign({})],
        ['no aud', sign({ issuer: 'kds' })],
        ['no iss', sign({ audience: 'screens' })],
        ['wrong iss', sign({ issuer: 'pos', audience: 'screens' })],
        ['wrong aud', sign({ issuer: 'kds', audience: 'printers' })],
        ['the default app signs without them', tokenFor(t.app, restaurant, 'EXPO')],
      ] as const) {
        const response = await me(token);
        expect(response.errors?.[0]?.extensions?.code, what).toBe('UNAUTHENTICATED');
        expect(response.data ?? null, what).toBeNull();
      }
    });
  });
});

describe('roles', () => {
  const FRONT: Role[] = ['OWNER', 'MANAGER', 'CASHIER', 'SERVER'];
  const LINE: Role[] = ['OWNER', 'MANAGER', 'KITCHEN', 'EXPO'];
  const RUSH: Role[] = ['OWNER', 'MANAGER', 'CASHIER', 'SERVER', 'EXPO'];
  type Order = OrderFieldsFragment;

  /** Each mutation: who may, and one call on a fresh PENDING order (or PREPARING for recall) that must succeed. */
  const mutations: { name: string; roles: Role[]; prepare?: 'PREPARING'; run: (order: Order, token: string) => ReturnType<typeof gql> }[] = [
    {
      name: 'placeOrder',
      roles: FRONT,
      run: (_order, token) => gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'X' }] } }, token),
    },
    { name: 'updateOrder', roles: FRONT, run: (order, token) => gql(t.url, UpdateOrderDocument, { id: order.id, input: { table: 'T2' } }, token) },
    { name: 'cancelOrder', roles: FRONT, run: (order, token) => gql(t.url, CancelOrderDocument, { id: order.id }, token) },
    { name: 'bumpOrder', roles: LINE, run: (order, token) => gql(t.url, BumpOrderDocument, { id: order.id }, token) },
    { name: 'recallOrder', roles: LINE, prepare: 'PREPARING', run: (order, token) => gql(t.url, RecallOrderDocument, { id: order.id }, token) },
    {
      name: 'setOrderStatus',
      roles: LINE,
      run: (order, token) => gql(t.url, SetOrderStatusDocument, { id: order.id, status: 'PREPARING' }, token),
    },
    {
      name: 'setItemStatus',
      roles: LINE,
      run: (order, token) => gql(t.url, SetItemStatusDocument, { itemId: order.items[0]!.id, status: 'PREPARING' }, token),
    },
    { name: 'setOrderRush', roles: RUSH, run: (order, token) => gql(t.url, SetOrderRushDocument, { id: order.id, rush: true }, token) },
  ];

  test.each(mutations.map((m) => [m.name, m] as const))('%s: the allowed roles succeed, the others are FORBIDDEN', async (_name, mutation) => {
    const restaurant = await createRestaurant(t.app);
    const owner = tokenFor(t.app, restaurant, 'OWNER');
    const fresh = async () => {
      const order = (await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, owner)).placeOrder;
      return mutation.prepare ? (await ok(t.url, BumpOrderDocument, { id: order.id }, owner)).bumpOrder : order;
    };

    const target = await fresh();
    const events = await eventCount(t.app, restaurant.id);
    const refused = ROLES.filter((r) => !mutation.roles.includes(r));
    const refusals = await Promise.all(refused.map((role) => failure(mutation.run(target, tokenFor(t.app, restaurant, role)))));
    expect(refusals).toEqual(refused.map(() => ({ code: 'FORBIDDEN' })));
    expect(await eventCount(t.app, restaurant.id)).toBe(events);
    expect((await ok(t.url, OrderDocument, { id: target.id }, owner)).order).toEqual(target);

    const targets = await Promise.all(mutation.roles.map(() => fresh()));
    const responses = await Promise.all(mutation.roles.map((role, i) => mutation.run(targets[i]!, tokenFor(t.app, restaurant, role))));
    for (const [i, role] of mutation.roles.entries()) {
      expect(responses[i]!.errors, `${role}: ${JSON.stringify(responses[i]!.errors)}`).toBeUndefined();
      expect(responses[i]!.data, role).toBeTruthy();
    }
  });

  test('every role may read: me, order, kitchenQueue and orders', async () => {
    const restaurant = await createRestaurant(t.app);
    const order = (await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'A' }] } }, tokenFor(t.app, restaurant, 'OWNER'))).placeOrder;
    await Promise.all(
      ROLES.map(async (role) => {
        const token = tokenFor(t.app, restaurant, role);
        expect((await ok(t.url, MeDocument, {}, token)).me.role).toBe(role);
        expect((await ok(t.url, OrderDocument, { id: order.id }, token)).order).toEqual(order);
        expect((await ok(t.url, KitchenQueueNowDocument, {}, token)).kitchenQueue.map((o) => o.id)).toEqual([order.id]);
        expect((await ok(t.url, OrdersDocument, {}, token)).orders.edges.map((e) => e.node.id)).toEqual([order.id]);
      }),
    );
  });
});
