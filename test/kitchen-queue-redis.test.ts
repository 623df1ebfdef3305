import type { ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { channelOf } from '../src/services/event-stream.js';
import type { RestaurantSummary } from '../src/services/restaurant-directory.js';
import { cursorSequence } from '../src/schema/types/kitchen-queue.js';
import {
  BumpOrderDocument,
  KitchenQueueDocument,
  type KitchenQueueSubscription,
} from './generated/graphql.js';
import { losingPublishes } from './support/bus.js';
import { createRestaurant, ok, place, startTestApp, subscribe, type TestApp, tokenFor, until, wsClient } from './support/harness.js';
import { startRedisServer, type RedisServer } from './support/processes.js';

/** The next publish of each restaurant named here is lost on the way, as in a Redis blip. */
const dropNextPublishOf = new Set<string>();
const dropping = losingPublishes((event) => dropNextPublishOf.delete(event.restaurantId));

let server: RedisServer;
let a: TestApp;
let b: TestApp;
let redis: Redis;
beforeAll(async () => {
  // A Redis of this file's own: it kills its subscriber connections, which on the shared one would
  // cut every other test file's too.
  server = await startRedisServer();
  // Two instances in one process, each with its own Redis connections, as behind a load balancer.
  [a, b] = await Promise.all([
    startTestApp({ redis: server.url, wrapBus: dropping, stream: { lingerMs: 0 } }),
    startTestApp({ redis: server.url, stream: { lingerMs: 0 } }),
  ]);
  redis = new Redis(server.url);
});
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  redis?.disconnect();
  await server?.stop();
});

const kinds = (results: ExecutionResult<KitchenQueueSubscription>[]) => results.map((r) => r.data!.kitchenQueue.kind);
const orderIds = (results: ExecutionResult<KitchenQueueSubscription>[]) =>
  results.map((r) => r.data!.kitchenQueue.order?.id);

async function setup() {
  const restaurant = await createRestaurant(a.app);
  const cashier = tokenFor(a.app, restaurant, 'CASHIER');
  const cook = tokenFor(a.app, restaurant, 'KITCHEN');
  return { restaurant, cashier, cook, place: (on: TestApp = a) => place(on, cashier) };
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
  const second = await k.place();
  // Age this restaurant's events past the retention, then prune as the server does.
  await a.app.orm.em
    .getConnection()
    .execute(`update kitchen_events set created_at = now() - interval '2 days' where restaurant_id = ?`, [k.restaurant.id]);
  // Only this file ages events, and its tests run one after another: these two are all there is.
  expect(await a.app.services.events.prune(24)).toBe(2);
  const resumed = subscribe(wsClient(b.wsUrl, k.cook), KitchenQueueDocument, { after: cursor });
  const [snapshot] = await resumed.take(1);
  expect(snapshot!.data!.kitchenQueue.kind).toBe('SNAPSHOT');
  expect(snapshot!.data!.kitchenQueue.orders!.map((o) => o.id)).toEqual([order.id, second.id]);
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
  const readyz = await fetch(a.url.replace('/graphql', '/readyz'));
  expect(readyz.status).toBe(200);
  expect(((await readyz.json()) as { status: string }).status).toBe('ready');
  screen.dispose();
});

test('closed screens leave no Redis subscription behind; a screen on the other instance keeps its own', async () => {
  const k = await setup();
  const watcher = subscribe(wsClient(a.wsUrl, k.cook), KitchenQueueDocument, {});
  await watcher.take(1);
  expect(await numsub(k.restaurant)).toBe(1);
  const clients = Array.from({ length: 3 }, () => wsClient(b.wsUrl, k.cook));
  const screens = clients.map((client) => subscribe(client, KitchenQueueDocument, {}));
  await Promise.all(screens.map((s) => s.take(1)));
  // Three screens on B, one shared subscription per instance: A's and B's.
  expect(await numsub(k.restaurant)).toBe(2);
  const order = await k.place();
  await Promise.all([watcher, ...screens].map((s) => s.take(2)));
  await Promise.all(clients.map((c) => c.dispose()));
  await until(async () => (await numsub(k.restaurant)) === 1, "B's Redis subscription to go");
  // A's stays live: the next change reaches its screen.
  await ok(a.url, BumpOrderDocument, { id: order.id }, k.cook);
  const [, , bumped] = await watcher.take(3);
  expect(bumped!.data!.kitchenQueue).toMatchObject({ kind: 'ORDER_STATUS_CHANGED', order: { id: order.id, status: 'PREPARING' } });
  expect(await numsub(k.restaurant)).toBe(1);
  watcher.dispose();
});
