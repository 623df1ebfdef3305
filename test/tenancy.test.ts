import { expect, test } from 'vitest';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  KitchenQueueNowDocument,
  OrderDocument,
  OrderItemsAtStationDocument,
  OrdersDocument,
  PlaceOrderDocument,
  RecallOrderDocument,
  SetItemStatusDocument,
  SetOrderRushDocument,
  SetOrderStatusDocument,
  UpdateOrderDocument,
} from './generated/graphql.js';
import { eventCount } from './support/db.js';
import { createRestaurant, failure, gql, newKey, ok, place, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();

/** Restaurants A and B, each with an order; B's owner is the one trying. */
async function twoRestaurants() {
  const a = await createRestaurant(t.app);
  const b = await createRestaurant(t.app);
  const aOwner = tokenFor(t.app, a, 'OWNER');
  const bOwner = tokenFor(t.app, b, 'OWNER');
  const two = [{ name: 'Burger' }, { name: 'Fries' }];
  return { a, b, aOwner, bOwner, aOrder: await place(t, aOwner, two), bOrder: await place(t, bOwner, two) };
}

test("another restaurant's order is invisible: order(id) is null, and it is in no list", async () => {
  const { aOrder, bOrder, aOwner, bOwner } = await twoRestaurants();
  expect(await gql(t.url, OrderDocument, { id: aOrder.id }, bOwner)).toEqual({ status: 200, data: { order: null } });
  expect((await ok(t.url, KitchenQueueNowDocument, {}, bOwner)).kitchenQueue.map((o) => o.id)).toEqual([bOrder.id]);
  expect((await ok(t.url, OrdersDocument, {}, bOwner)).orders.edges.map((e) => e.node.id)).toEqual([bOrder.id]);
  expect((await ok(t.url, OrdersDocument, { status: ['PENDING'] }, bOwner)).orders.edges.map((e) => e.node.id)).toEqual([bOrder.id]);
  // A sees its own.
  expect((await ok(t.url, OrderDocument, { id: aOrder.id }, aOwner)).order).toEqual(aOrder);
});

test("every mutation on another restaurant's order, item or station is NOT_FOUND and changes nothing", async () => {
  const { a, b, aOrder, bOrder, aOwner, bOwner } = await twoRestaurants();
  const aItem = aOrder.items[0]!.id;
  const aStation = a.stations[0]!.id;
  const [aEvents, bEvents] = [await eventCount(t.app, a.id), await eventCount(t.app, b.id)];

  const attempts = {
    updateOrder: gql(t.url, UpdateOrderDocument, { id: aOrder.id, input: { table: 'T1' } }, bOwner),
    'updateOrder (voidItemIds)': gql(t.url, UpdateOrderDocument, { id: aOrder.id, input: { voidItemIds: [aItem] } }, bOwner),
    bumpOrder: gql(t.url, BumpOrderDocument, { id: aOrder.id }, bOwner),
    recallOrder: gql(t.url, RecallOrderDocument, { id: aOrder.id }, bOwner),
    setOrderStatus: gql(t.url, SetOrderStatusDocument, { id: aOrder.id, status: 'PREPARING' }, bOwner),
    cancelOrder: gql(t.url, CancelOrderDocument, { id: aOrder.id, reason: 'x' }, bOwner),
    setOrderRush: gql(t.url, SetOrderRushDocument, { id: aOrder.id, rush: true }, bOwner),
    setItemStatus: gql(t.url, SetItemStatusDocument, { itemId: aItem, status: 'PREPARING' }, bOwner),
    "placeOrder with A's station": gql(
      t.url,
      PlaceOrderDocument,
      { input: { clientRequestId: newKey(), items: [{ name: 'X', stationId: aStation }] } },
      bOwner,
    ),
    "updateOrder of B's order adding an item at A's station": gql(
      t.url,
      UpdateOrderDocument,
      { id: bOrder.id, input: { addItems: [{ name: 'X', stationId: aStation }] } },
      bOwner,
    ),
    "updateOrder of B's order voiding A's item": gql(t.url, UpdateOrderDocument, { id: bOrder.id, input: { voidItemIds: [aItem] } }, bOwner),
  };
  for (const [what, attempt] of Object.entries(attempts)) {
    expect(await failure(attempt), what).toEqual({ code: 'NOT_FOUND' });
  }
  expect((await ok(t.url, OrderDocument, { id: aOrder.id }, aOwner)).order).toEqual(aOrder);
  expect((await ok(t.url, OrderDocument, { id: bOrder.id }, bOwner)).order).toEqual(bOrder);
  expect(await eventCount(t.app, a.id)).toBe(aEvents);
  expect(await eventCount(t.app, b.id)).toBe(bEvents);
});

test("another restaurant's station filters to nothing", async () => {
  const { a, bOrder, bOwner } = await twoRestaurants();
  for (const station of a.stations) {
    expect((await ok(t.url, KitchenQueueNowDocument, { stationId: station.id }, bOwner)).kitchenQueue, station.name).toEqual([]);
    expect((await ok(t.url, OrderItemsAtStationDocument, { id: bOrder.id, stationId: station.id }, bOwner)).order, station.name).toEqual({
      id: bOrder.id,
      items: [],
    });
  }
});

test('a malformed id is null or NOT_FOUND, never a 500', async () => {
  const { b, bOrder, bOwner } = await twoRestaurants();
  const malformed = ['', 'not-an-id', '42', "1' or '1'='1", `${bOrder.id}x`, bOrder.id.slice(0, -1), 'x'.repeat(5000)];
  await Promise.all(malformed.map(async (id) => {
    const what = JSON.stringify(id.slice(0, 40));
    expect(await gql(t.url, OrderDocument, { id }, bOwner), what).toEqual({ status: 200, data: { order: null } });
    const attempts = [
      gql(t.url, UpdateOrderDocument, { id, input: { table: 'T1' } }, bOwner),
      gql(t.url, UpdateOrderDocument, { id: bOrder.id, input: { voidItemIds: [id] } }, bOwner),
      gql(t.url, BumpOrderDocument, { id }, bOwner),
      gql(t.url, RecallOrderDocument, { id }, bOwner),
      gql(t.url, SetOrderStatusDocument, { id, status: 'PREPARING' }, bOwner),
      gql(t.url, CancelOrderDocument, { id }, bOwner),
      gql(t.url, SetOrderRushDocument, { id, rush: true }, bOwner),
      gql(t.url, SetItemStatusDocument, { itemId: id, status: 'READY' }, bOwner),
      gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'X', stationId: id }] } }, bOwner),
    ];
    for (const [i, attempt] of attempts.entries()) {
      expect(await failure(attempt), `${what} #${i}`).toEqual({ code: 'NOT_FOUND' });
    }
    expect((await ok(t.url, KitchenQueueNowDocument, { stationId: id }, bOwner)).kitchenQueue, what).toEqual([]);
    expect((await ok(t.url, OrderItemsAtStationDocument, { id: bOrder.id, stationId: id }, bOwner)).order!.items, what).toEqual([]);
  }));
  // A cursor that is not one of orders' is BAD_USER_INPUT on `after`.
  for (const after of ['garbage!', '%%%', Buffer.from('order:abc').toString('base64url'), Buffer.from('order:-1').toString('base64url'), Buffer.from(bOrder.id).toString('base64url')]) {
    expect(await failure(gql(t.url, OrdersDocument, { after }, bOwner)), after).toEqual({ code: 'BAD_USER_INPUT', field: 'after' });
  }
  expect((await ok(t.url, OrderDocument, { id: bOrder.id }, bOwner)).order).toEqual(bOrder);
  expect(await eventCount(t.app, b.id)).toBe(1);
});
