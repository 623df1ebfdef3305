import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  BumpOrderDocument,
  OrderDocument,
  RecallOrderDocument,
  PlaceOrderDocument,
  SetItemStatusDocument,
  UpdateOrderDocument,
  type PlaceOrderInput,
} from './generated/graphql.js';
import { counters, eventCount, events, orderCount } from './support/db.js';
import { gql, kitchen, newKey, ok, place, startTestApp, type TestApp, useTestApp } from './support/harness.js';

const t = useTestApp();

test('10 concurrent bumps with the same expectedVersion: exactly one wins, 9 are VERSION_CONFLICT', async () => {
  const { restaurant, pos, cook } = await kitchen(t);
  const order = await place(t, pos);
  const results = await Promise.all(
    Array.from({ length: 10 }, () => gql(t.url, BumpOrderDocument, { id: order.id, expectedVersion: order.version }, cook)),
  );
  const wins = results.filter((r) => !r.errors);
  const losses = results.filter((r) => r.errors);
  expect(wins).toHaveLength(1);
  expect(wins[0]!.data!.bumpOrder).toMatchObject({ status: 'PREPARING', version: order.version + 1 });
  expect(losses).toHaveLength(9);
  for (const loss of losses) {
    expect(loss.errors!.map((e) => e.extensions)).toEqual([{ code: 'VERSION_CONFLICT', currentVersion: order.version + 1 }]);
  }
  expect((await ok(t.url, OrderDocument, { id: order.id }, cook)).order).toMatchObject({ status: 'PREPARING', version: order.version + 1 });
  expect(await eventCount(t.app, restaurant.id)).toBe(2);
  // The losers spent no event sequence: the next change takes 3, so screens see no gap.
  expect(await counters(t.app, restaurant.id)).toEqual({ lastOrderNumber: 1, lastEventSequence: 2 });
});

test('10 concurrent bumps without expectedVersion apply one after another: 3 steps, then INVALID_TRANSITION', async () => {
  const { restaurant, pos, cook } = await kitchen(t);
  const order = await place(t, pos);
  const results = await Promise.all(Array.from({ length: 10 }, () => gql(t.url, BumpOrderDocument, { id: order.id }, cook)));
  const wins = results.filter((r) => !r.errors).map((r) => r.data!.bumpOrder);
  expect(wins.map((o) => [o.status, o.version]).sort()).toEqual([
    ['COMPLETED', 4],
    ['PREPARING', 2],
    ['READY', 3],
  ]);
  const losses = results.filter((r) => r.errors);
  expect(losses).toHaveLength(7);
  for (const loss of losses) {
    expect(loss.errors!.map((e) => e.extensions)).toEqual([{ code: 'INVALID_TRANSITION', from: 'COMPLETED', to: 'COMPLETED' }]);
  }
  expect((await ok(t.url, OrderDocument, { id: order.id }, cook)).order).toMatchObject({ status: 'COMPLETED', version: 4 });
  expect((await events(t.app, restaurant.id)).map((e) => [e.sequence, e.kind, e.previousStatus])).toEqual([
    [1, 'ORDER_CREATED', null],
    [2, 'ORDER_STATUS_CHANGED', 'PENDING'],
    [3, 'ORDER_STATUS_CHANGED', 'PREPARING'],
    [4, 'ORDER_STATUS_CHANGED', 'READY'],
  ]);
});

test('20 concurrent placeOrders get 20 distinct ticket numbers, 1 to 20', async () => {
  const { restaurant, pos } = await kitchen(t);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => place(t, pos, [{ name: `Item ${i}` }])));
  expect(results.map((o) => o.number).sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(new Set(results.map((o) => o.id)).size).toBe(20);
  const log = await events(t.app, restaurant.id);
  expect(log.map((e) => e.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  expect(new Set(log.map((e) => e.orderId))).toEqual(new Set(results.map((o) => o.id)));
});

test('concurrent retries of one placeOrder make one order and one event', async () => {
  const { restaurant, pos } = await kitchen(t);
  const input: PlaceOrderInput = { clientRequestId: newKey(), items: [{ name: 'Burger' }] };
  const results = await Promise.all(Array.from({ length: 8 }, () => ok(t.url, PlaceOrderDocument, { input }, pos)));
  const ids = new Set(results.map((r) => r.placeOrder.id));
  expect(ids.size).toBe(1);
  expect(results.map((r) => r.placeOrder.number)).toEqual(Array.from({ length: 8 }, () => 1));
  expect(await orderCount(t.app, restaurant.id)).toBe(1);
  expect(await eventCount(t.app, restaurant.id)).toBe(1);
  // The retries spent no ticket number and no event sequence.
  expect(await counters(t.app, restaurant.id)).toEqual({ lastOrderNumber: 1, lastEventSequence: 1 });
});

test('concurrent changes to one order are all kept: no lost update', async () => {
  const { restaurant, pos, cook } = await kitchen(t);
  const order = await place(t, pos, [{ name: 'A' }, { name: 'B' }, { name: 'C' }, { name: 'D' }]);
  const results = await Promise.all([
    ...order.items.map((item) => ok(t.url, SetItemStatusDocument, { itemId: item.id, status: 'READY' }, cook)),
    ok(t.url, UpdateOrderDocument, { id: order.id, input: { notes: 'allergy' } }, pos),
  ]);
  const versions = results.map((r) => ('setItemStatus' in r ? r.setItemStatus.version : r.updateOrder.version));
  expect(versions.sort()).toEqual([2, 3, 4, 5, 6]);
  const final = (await ok(t.url, OrderDocument, { id: order.id }, cook)).order!;
  expect(final).toMatchObject({ status: 'READY', version: 6, notes: 'allergy' });
  expect(final.items.map((i) => i.status)).toEqual(['READY', 'READY', 'READY', 'READY']);
  expect(await eventCount(t.app, restaurant.id)).toBe(6);
});

describe('two instances on one database', () => {
  let other: TestApp;
  beforeAll(async () => void (other = await startTestApp()));
  afterAll(() => other.stop());

  test('a change starts from the order as it stands, not from what this instance wrote last', async () => {
    const { pos, cook } = await kitchen(t);
    const order = await place(t, pos);
    const bump = async (url: string, expectedVersion?: number) =>
      (await gql(url, BumpOrderDocument, { id: order.id, expectedVersion }, cook)).data?.bumpOrder;
    // This instance wrote it last as PENDING; the other moves it on twice.
    expect(await bump(other.url)).toMatchObject({ status: 'PREPARING', version: 2 });
    expect(await bump(other.url)).toMatchObject({ status: 'READY', version: 3 });
    expect(await bump(t.url)).toMatchObject({ status: 'COMPLETED', version: 4 });
    // This instance wrote it last as COMPLETED (which refuses a bump); the other recalls it.
    expect((await ok(other.url, RecallOrderDocument, { id: order.id }, cook)).recallOrder).toMatchObject({ status: 'READY', version: 5 });
    expect(await bump(t.url)).toMatchObject({ status: 'COMPLETED', version: 6 });
    expect((await ok(t.url, OrderDocument, { id: order.id }, cook)).order).toMatchObject({ status: 'COMPLETED', version: 6 });
  });
});
