import type { ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { channelOf } from '../src/services/kitchen-stream.js';
import type { EventBus } from '../src/services/event-bus.js';
import type { KitchenEventRecord } from '../src/services/kitchen-event-log.js';
import type { RestaurantSummary } from '../src/services/restaurant-directory.js';
import { cursorSequence } from '../src/schema/types/kitchen-queue.js';
import {
  BumpOrderDocument,
  KitchenQueueDocument,
  PlaceOrderDocument,
  type KitchenQueueSubscription,
} from './generated/graphql.js';
import { TEST_REDIS_URL } from './support/env.js';
import { createRestaurant, newKey, ok, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from './support/harness.js';

/** Publishes of the restaurants named here are lost on the way, as in a Redis blip. */
const dropNextPublishOf = new Set<string>();
const dropping = (bus: EventBus): EventBus => ({
  ...bus,
  publish: (channel, payload) => {
    const { restaurantId } = payload as KitchenEventRecord;
    if (dropNextPublishOf.delete(restaurantId)) return Promise.resolve();
    return bus.publish(channel, payload);
  },
  subscribe: bus.subscribe.bind(bus),
  onReconnect: bus.onReconnect.bind(bus),
  ping: bus.ping.bind(bus),
  close: bus.close.bind(bus),
});

let a: TestApp;
let b: TestApp;
let redis: Redis;
beforeAll(async () => {
  // Two instances in one process, each with its own Redis connections, as behind a load balancer.
  [a, b] = await Promise.all([
    startTestApp({ redis: true, wrapBus: dropping, stream: { lingerMs: 0 } }),
    startTestApp({ redis: true, stream: { lingerMs: 0 } }),
  ]);
  redis = new Redis(TEST_REDIS_URL);
});
afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
  redis.disconnect();
});

const kinds = (results: ExecutionResult<KitchenQueueSubscription>[]) => results.map((r) => r.data!.kitchenQueue.kind);
const orderIds = (results: ExecutionResult<KitchenQueueSubscription>[]) =>
  results.map((r) => r.data!.kitchenQueue.order?.id);

async function setup() {
  const restaurant = await createRestaurant(a.app);
  const cashier = tokenFor(a.app, restaurant, 'CASHIER');
  const cook = tokenFor(a.app, restaurant, 'KITCHEN');
  const place = async (on: TestApp = a) =>
    (await ok(on.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }] } }, cashier))
      .placeOrder;
  return { restaurant, cashier, cook, place };
}

async function until(condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const numsub = async (restaurant: RestaurantSummary) =>
  Number(((await redis.pubsub('NUMSUB', channelOf(restaurant.id))) as [string, number])[1]);

test('a screen on instance B sees orders placed on A and on B, in order', async () => {
  const k = await setup();
  const screen = subscribe(wsClient(b.wsUrl, k.cook), KitchenQueueDocument, {});
  await screen.take(1);
  const placed = [];
  for (let i = 0; i < 6; i++) placed.push(await k.place(i % 2 ? b : a));
  const results = await screen.take(7);
  expect(kinds(results)).toEqual(['SNAPSHOT', ...placed.map(() => 'ORDER_CREATED')]);
  expect(orderIds(results).slice(1)).toEqual(placed.map((o) => o.id));
  const seq = results.map((r) => cursorSequence(r.data!.kitchenQueue.cursor)!);
  expect(seq.slice(1)).toEqual(placed.map((_, i) => seq[0]! + 1 + i));
  screen.dispose();
});

test('a cursor obtained on A resumes on B, from the table, with no gap and no duplicate', async () => {
  const k = await setup();
  const onA = subscribe(wsClient(a.wsUrl, k.cook), KitchenQueueDocument, {});
  await onA.take(1);
  await k.place();
  const cursor = (await onA.take(2))[1]!.data!.kitchenQueue.cursor;
  onA.dispose();
  const missed = [await k.place(), await k.place(), await k.place()];
  const onB = subscribe(wsClient(b.wsUrl, k.cook), KitchenQueueDocument, { after: cursor });
  const replay = await onB.take(3);
  expect(kinds(replay)).toEqual(['ORDER_CREATED', 'ORDER_CREATED', 'ORDER_CREATED']);
  expect(orderIds(replay)).toEqual(missed.map((o) => o.id));
  const live = await k.place();
  expect(orderIds(await onB.take(4))[3]).toBe(live.id);
  expect(onB.results).toHaveLength(4);
  onB.dispose();
});

test('a cursor whose events were pruned gets a SNAPSHOT', async () => {
  const k = await setup();
  const first = subscribe(wsClient(a.wsUrl, k.cook), KitchenQueueDocument, {});
  await first.take(1);
  const order = await k.place();
  const cursor = (await first.take(2))[1]!.data!.kitchenQueue.cursor;
  first.dispose();
  await k.place();
  // Age this restaurant's events past the retention, then prune as the server does.
  await a.app.orm.em
    .getConnection()
    .execute(`update kitchen_events set created_at = now() - interval '2 days' where restaurant_id = ?`, [k.restaurant.id]);
  expect(await a.app.services.stream.prune(24)).toBeGreaterThanOrEqual(2);
  const resumed = subscribe(wsClient(b.wsUrl, k.cook), KitchenQueueDocument, { after: cursor });
  const [snapshot] = await resumed.take(1);
  expect(snapshot!.data!.kitchenQueue.kind).toBe('SNAPSHOT');
  expect(snapshot!.data!.kitchenQueue.orders!.map((o) => o.id)).toContain(order.id);
  resumed.dispose();
});

test('a publish lost on the way is still delivered, in order, by gap filling', async () => {
  const k = await setup();
  const screen = subscribe(wsClient(b.wsUrl, k.cook), KitchenQueueDocument, {});
  await screen.take(1);
  dropNextPublishOf.add(k.restaurant.id);
  const lost = await k.place();
  const next = await k.place();
  expect(dropNextPublishOf.has(k.restaurant.id)).toBe(false);
  expect(orderIds(await screen.take(3)).slice(1)).toEqual([lost.id, next.id]);
  screen.dispose();
});

test('when the Redis subscriber connection drops, screens resume and catch up with what it missed', async () => {
  const k = await setup();
  const screen = subscribe(wsClient(a.wsUrl, k.cook), KitchenQueueDocument, {});
  await screen.take(1);
  // The last event before the outage is lost and nothing follows it: only the resync after the
  // reconnect can deliver it.
  dropNextPublishOf.add(k.restaurant.id);
  const lost = await k.place();
  await redis.client('KILL', 'TYPE', 'pubsub');
  const [, delivered] = await screen.take(2, 10_000);
  expect(delivered!.data!.kitchenQueue.order!.id).toBe(lost.id);
  const after = await k.place();
  expect(orderIds(await screen.take(3)).slice(2)).toEqual([after.id]);
  expect(await (await fetch(a.url.replace('/graphql', '/readyz'))).text()).toContain('ready');
  screen.dispose();
});

test('closed screens leave no listener and no Redis subscription behind', async () => {
  const k = await setup();
  const clients = Array.from({ length: 3 }, () => wsClient(b.wsUrl, k.cook));
  const screens = clients.map((client) => subscribe(client, KitchenQueueDocument, {}));
  await Promise.all(screens.map((s) => s.take(1)));
  // Three screens, one shared subscription per instance.
  expect(await numsub(k.restaurant)).toBe(1);
  await k.place();
  await Promise.all(screens.map((s) => s.take(2)));
  await Promise.all(clients.map((c) => c.dispose()));
  await until(async () => (await numsub(k.restaurant)) === 0, 'the Redis subscription to go');
  const bump = await ok(a.url, BumpOrderDocument, { id: screens[0]!.results[1]!.data!.kitchenQueue.order!.id }, k.cook);
  expect(bump.bumpOrder.status).toBe('PREPARING');
  expect(screens.every((s) => s.results.length === 2)).toBe(true);
});
