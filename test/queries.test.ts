import { describe, expect, test } from 'vitest';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  KitchenQueueNowDocument,
  MeDocument,
  OrdersDocument,
  RecallOrderDocument,
  SetOrderRushDocument,
  type OrdersQuery,
} from './generated/graphql.js';
import { createRestaurant, failure, gql, kitchen, ok, place, useTestApp } from './support/harness.js';

const t = useTestApp();

/** A POS on a SERVER token, the kitchen on an EXPO one. */
const serverKitchen = () => kitchen(t, { pos: 'SERVER', cook: 'EXPO' });

async function bump(id: string, cook: string, times: number) {
  for (let i = 0; i < times; i++) await ok(t.url, BumpOrderDocument, { id }, cook);
}

describe('kitchenQueue', () => {
  test('holds the live orders only, rush first, then oldest first', async () => {
    const { pos, cook } = await serverKitchen();
    const o1 = await place(t, pos);
    const o2 = await place(t, pos, undefined, { rush: true });
    const o3 = await place(t, pos);
    await bump(o3.id, cook, 1); // PREPARING
    const o4 = await place(t, pos);
    await ok(t.url, SetOrderRushDocument, { id: o4.id, rush: true }, pos);
    const o5 = await place(t, pos);
    await bump(o5.id, cook, 3); // COMPLETED: gone
    const o6 = await place(t, pos, undefined, { rush: true });
    await ok(t.url, CancelOrderDocument, { id: o6.id }, pos); // CANCELLED: gone
    const o7 = await place(t, pos);
    await bump(o7.id, cook, 2); // READY
    const o8 = await place(t, pos, undefined, { rush: true });
    await ok(t.url, SetOrderRushDocument, { id: o8.id, rush: false }, pos);
    const o9 = await place(t, pos);
    await bump(o9.id, cook, 3);
    await ok(t.url, RecallOrderDocument, { id: o9.id }, cook); // back to READY: back in the queue

    const { kitchenQueue } = await ok(t.url, KitchenQueueNowDocument, {}, cook);
    expect(kitchenQueue.map((o) => [o.number, o.rush, o.status])).toEqual([
      [o2.number, true, 'PENDING'],
      [o4.number, true, 'PENDING'],
      [o1.number, false, 'PENDING'],
      [o3.number, false, 'PREPARING'],
      [o7.number, false, 'READY'],
      [o8.number, false, 'PENDING'],
      [o9.number, false, 'READY'],
    ]);
    expect(kitchenQueue.map((o) => o.number)).not.toContain(o5.number);
    expect(kitchenQueue.map((o) => o.number)).not.toContain(o6.number);
  });

  test('with stationId, the orders with an item at that station (all of them at the expo)', async () => {
    const { pos, cook, byName } = await serverKitchen();
    const grill = byName.Grill!.id;
    const fry = byName.Fry!.id;
    const burger = await place(t, pos, [{ name: 'Burger', stationId: grill }]);
    const fries = await place(t, pos, [{ name: 'Fries', stationId: fry }]);
    const combo = await place(t, pos, [{ name: 'Burger', stationId: grill }, { name: 'Fries', stationId: fry }], { rush: true });
    const numbers = async (stationId?: string) =>
      (await ok(t.url, KitchenQueueNowDocument, { stationId }, cook)).kitchenQueue.map((o) => o.number);
    expect(await numbers(grill)).toEqual([combo.number, burger.number]);
    expect(await numbers(fry)).toEqual([combo.number, fries.number]);
    expect(await numbers(byName.Expo!.id)).toEqual([combo.number, burger.number, fries.number]);
    expect(await numbers()).toEqual([combo.number, burger.number, fries.number]);
  });
});

describe('orders', () => {
  const numbersOf = (page: OrdersQuery) => page.orders.edges.map((e) => e.node.number);

  test('history newest first, paged with first/after, filtered by status', async () => {
    const { pos, cook } = await serverKitchen();
    const placed = [];
    for (let i = 0; i < 5; i++) placed.push(await place(t, pos));
    await ok(t.url, CancelOrderDocument, { id: placed[1]!.id }, pos); // #2 CANCELLED
    await bump(placed[3]!.id, cook, 3); // #4 COMPLETED
    expect(placed.map((o) => o.number)).toEqual([1, 2, 3, 4, 5]);

    const all = await ok(t.url, OrdersDocument, {}, cook);
    expect(all.orders.edges.map((e) => [e.node.number, e.node.status])).toEqual([
      [5, 'PENDING'],
      [4, 'COMPLETED'],
      [3, 'PENDING'],
      [2, 'CANCELLED'],
      [1, 'PENDING'],
    ]);
    expect(all.orders.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: false });

    const first = await ok(t.url, OrdersDocument, { first: 2 }, cook);
    expect(numbersOf(first)).toEqual([5, 4]);
    expect(first.orders.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.orders.edges[0]!.cursor,
      endCursor: first.orders.edges[1]!.cursor,
    });
    const second = await ok(t.url, OrdersDocument, { first: 2, after: first.orders.pageInfo.endCursor }, cook);
    expect(numbersOf(second)).toEqual([3, 2]);
    expect(second.orders.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true });
    const third = await ok(t.url, OrdersDocument, { first: 2, after: second.orders.pageInfo.endCursor }, cook);
    expect(numbersOf(third)).toEqual([1]);
    expect(third.orders.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // Every edge's cursor resumes right after it.
    const resumed = await ok(t.url, OrdersDocument, { first: 100, after: all.orders.edges[2]!.cursor }, cook);
    expect(numbersOf(resumed)).toEqual([2, 1]);

    expect(numbersOf(await ok(t.url, OrdersDocument, { status: ['PENDING'] }, cook))).toEqual([5, 3, 1]);
    expect(numbersOf(await ok(t.url, OrdersDocument, { status: ['CANCELLED', 'COMPLETED'] }, cook))).toEqual([4, 2]);
    expect(numbersOf(await ok(t.url, OrdersDocument, { status: ['READY'] }, cook))).toEqual([]);
    const filteredPage = await ok(t.url, OrdersDocument, { status: ['PENDING'], first: 2 }, cook);
    expect(numbersOf(filteredPage)).toEqual([5, 3]);
    expect(numbersOf(await ok(t.url, OrdersDocument, { status: ['PENDING'], first: 2, after: filteredPage.orders.pageInfo.endCursor }, cook))).toEqual([1]);
  });

  test('first must be 1 to 100', async () => {
    const { pos, cook } = await serverKitchen();
    await place(t, pos);
    for (const first of [0, 101, -1]) {
      expect(await failure(gql(t.url, OrdersDocument, { first }, cook)), String(first)).toEqual({ code: 'BAD_USER_INPUT', field: 'first' });
    }
    expect(numbersOf(await ok(t.url, OrdersDocument, { first: 1 }, cook))).toEqual([1]);
    expect(numbersOf(await ok(t.url, OrdersDocument, { first: 100 }, cook))).toEqual([1]);
  });

  test('an empty history is an empty page', async () => {
    const { cook } = await serverKitchen();
    expect((await ok(t.url, OrdersDocument, {}, cook)).orders).toEqual({
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
    expect((await ok(t.url, KitchenQueueNowDocument, {}, cook)).kitchenQueue).toEqual([]);
  });
});

test('me: who the token speaks for, with the restaurant and its stations in order', async () => {
  const restaurant = await createRestaurant(t.app, [
    { name: 'Cold', expo: false },
    { name: 'Pass', expo: true },
    { name: 'Wok', expo: false },
  ]);
  const token = t.app.tokens.sign({ sub: 'tablet-7', restaurantId: restaurant.id, role: 'MANAGER', name: 'Mia' }, 60);
  const { me } = await ok(t.url, MeDocument, {}, token);
  expect(me).toEqual({
    id: 'tablet-7',
    name: 'Mia',
    role: 'MANAGER',
    restaurant: {
      id: restaurant.id,
      name: restaurant.name,
      slug: restaurant.slug,
      stations: [
        { id: restaurant.stations[0]!.id, name: 'Cold', expo: false },
        { id: restaurant.stations[1]!.id, name: 'Pass', expo: true },
        { id: restaurant.stations[2]!.id, name: 'Wok', expo: false },
      ],
    },
  });
});
