import { describe, expect, test } from 'vitest';
import type { StationInput } from '../src/services/restaurant-directory.js';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  OrderDocument,
  OrderItemsAtStationDocument,
  PlaceOrderDocument,
  SetItemStatusDocument,
  UpdateOrderDocument,
  type OrderFieldsFragment,
} from './generated/graphql.js';
import { eventCount, orderCount } from './support/db.js';
import { failure, gql, kitchen, newKey, ok, place, useTestApp } from './support/harness.js';

const t = useTestApp();

type Order = OrderFieldsFragment;

/** A restaurant with Grill, Fry and Expo (in that order) unless told, a POS (SERVER) token and a kitchen token. */
const serverKitchen = (stations?: StationInput[]) => kitchen(t, { stations, pos: 'SERVER' });

async function read(id: string, token: string): Promise<Order> {
  const { order } = await ok(t.url, OrderDocument, { id }, token);
  if (!order) throw new Error(`order ${id} not found`);
  return order;
}

async function setItem(itemId: string, status: 'PENDING' | 'PREPARING' | 'READY', cook: string): Promise<Order> {
  return (await ok(t.url, SetItemStatusDocument, { itemId, status }, cook)).setItemStatus;
}

describe('setItemStatus', () => {
  test('the first item that starts moves a PENDING order to PREPARING; all items READY make it READY', async () => {
    const { pos, cook, byName } = await serverKitchen();
    const order = await place(t, pos, [
      { name: 'Burger', stationId: byName.Grill!.id },
      { name: 'Fries', stationId: byName.Fry!.id },
    ]);
    const [burger, fries] = order.items;
    expect(order).toMatchObject({ status: 'PENDING', version: 1, startedAt: null });
    expect(order.items.map((i) => i.status)).toEqual(['PENDING', 'PENDING']);

    const started = await setItem(burger!.id, 'PREPARING', cook);
    expect(started).toMatchObject({ id: order.id, status: 'PREPARING', version: 2, readyAt: null });
    expect(started.startedAt).not.toBeNull();
    expect(started.items.map((i) => [i.id, i.status])).toEqual([
      [burger!.id, 'PREPARING'],
      [fries!.id, 'PENDING'],
    ]);

    // One item ready of two: the order stays PREPARING.
    const halfway = await setItem(fries!.id, 'READY', cook);
    expect(halfway).toMatchObject({ status: 'PREPARING', version: 3, startedAt: started.startedAt, readyAt: null });

    const ready = await setItem(burger!.id, 'READY', cook);
    expect(ready).toMatchObject({ status: 'READY', version: 4, startedAt: started.startedAt });
    expect(ready.readyAt).not.toBeNull();
    expect(ready.items.map((i) => i.status)).toEqual(['READY', 'READY']);
    expect(await read(order.id, cook)).toEqual(ready);
  });

  test('an item straight to READY on a single-item order makes the order READY at once', async () => {
    const { pos, cook } = await serverKitchen();
    const order = await place(t, pos, [{ name: 'Soda' }]);
    const ready = await setItem(order.items[0]!.id, 'READY', cook);
    expect(ready).toMatchObject({ status: 'READY', version: 2 });
    expect(ready.readyAt).not.toBeNull();
  });

  test('voided items are ignored when deciding that the order is READY', async () => {
    const { pos, cook } = await serverKitchen();
    const order = await place(t, pos, [{ name: 'Burger' }, { name: 'Fries' }, { name: 'Shake' }]);
    const [burger, fries, shake] = order.items;
    const { updateOrder } = await ok(t.url, UpdateOrderDocument, { id: order.id, input: { voidItemIds: [shake!.id] } }, pos);
    expect(updateOrder).toMatchObject({ status: 'PENDING', version: 2 });
    expect(updateOrder.items.map((i) => i.status)).toEqual(['PENDING', 'PENDING', 'VOIDED']);

    expect((await setItem(burger!.id, 'READY', cook)).status).toBe('PREPARING');
    const ready = await setItem(fries!.id, 'READY', cook);
    expect(ready).toMatchObject({ status: 'READY', version: 4 });
    expect(ready.items.map((i) => i.status)).toEqual(['READY', 'READY', 'VOIDED']);
  });

  test('voiding the last unfinished item makes the order READY', async () => {
    const { pos, cook } = await serverKitchen();
    const order = await place(t, pos, [{ name: 'Burger' }, { name: 'Fries' }]);
    await setItem(order.items[0]!.id, 'READY', cook);
    const { updateOrder } = await ok(t.url, UpdateOrderDocument, { id: order.id, input: { voidItemIds: [order.items[1]!.id] } }, pos);
    expect(updateOrder).toMatchObject({ status: 'READY', version: 3 });
    expect(updateOrder.readyAt).not.toBeNull();
    expect(updateOrder.items.map((i) => i.status)).toEqual(['READY', 'VOIDED']);
  });

  test('on a CANCELLED or COMPLETED order is INVALID_TRANSITION and changes nothing', async () => {
    const { pos, cook, restaurant } = await serverKitchen();
    const cancelled = (await ok(t.url, CancelOrderDocument, { id: (await place(t, pos, [{ name: 'A' }])).id }, pos)).cancelOrder;
    let completed = await place(t, pos, [{ name: 'B' }]);
    for (let i = 0; i < 3; i++) completed = (await ok(t.url, BumpOrderDocument, { id: completed.id }, cook)).bumpOrder;
    expect(completed.status).toBe('COMPLETED');
    const events = await eventCount(t.app, restaurant.id);
    for (const order of [cancelled, completed]) {
      const extensions = await failure(gql(t.url, SetItemStatusDocument, { itemId: order.items[0]!.id, status: 'PREPARING' }, cook));
      expect(extensions).toMatchObject({ code: 'INVALID_TRANSITION', from: order.status });
      expect(await read(order.id, cook)).toEqual(order);
    }
    expect(await eventCount(t.app, restaurant.id)).toBe(events);
  });
});

describe('updateOrder', () => {
  test('adds and voids items, and changes table, customer and notes, while the order is live', async () => {
    const { pos, cook, byName } = await serverKitchen();
    const order = await place(t, pos, [{ name: 'Burger' }, { name: 'Fries' }]);
    const preparing = await setItem(order.items[0]!.id, 'PREPARING', cook);
    const { updateOrder } = await ok(
      t.url,
      UpdateOrderDocument,
      {
        id: order.id,
        expectedVersion: preparing.version,
        input: {
          table: 'T4',
          customerName: 'Ada',
          notes: 'birthday',
          voidItemIds: [order.items[1]!.id],
          addItems: [{ name: 'Onion rings', quantity: 2, modifiers: ['extra crispy'], notes: 'share', stationId: byName.Fry!.id }],
        },
      },
      pos,
    );
    expect(updateOrder).toMatchObject({ status: 'PREPARING', version: 3, table: 'T4', customerName: 'Ada', notes: 'birthday' });
    expect(updateOrder.items).toEqual([
      { ...order.items[0]!, status: 'PREPARING' },
      { ...order.items[1]!, status: 'VOIDED' },
      {
        id: expect.any(String),
        name: 'Onion rings',
        quantity: 2,
        modifiers: ['extra crispy'],
        notes: 'share',
        status: 'PENDING',
        station: { id: byName.Fry!.id, name: 'Fry', expo: false },
      },
    ]);
    expect(await read(order.id, cook)).toEqual(updateOrder);
  });

  test('on a COMPLETED or CANCELLED order is INVALID_TRANSITION and changes nothing', async () => {
    const { pos, cook, restaurant } = await serverKitchen();
    let completed = await place(t, pos, [{ name: 'A' }]);
    for (let i = 0; i < 3; i++) completed = (await ok(t.url, BumpOrderDocument, { id: completed.id }, cook)).bumpOrder;
    const cancelled = (await ok(t.url, CancelOrderDocument, { id: (await place(t, pos, [{ name: 'B' }])).id }, pos)).cancelOrder;
    const events = await eventCount(t.app, restaurant.id);
    for (const order of [completed, cancelled]) {
      for (const input of [{ table: 'T1' }, { addItems: [{ name: 'Late dessert' }] }, { voidItemIds: [order.items[0]!.id] }]) {
        const extensions = await failure(gql(t.url, UpdateOrderDocument, { id: order.id, input }, pos));
        expect(extensions, JSON.stringify(input)).toMatchObject({ code: 'INVALID_TRANSITION', from: order.status });
      }
      expect(await read(order.id, cook)).toEqual(order);
    }
    expect(await eventCount(t.app, restaurant.id)).toBe(events);
  });

  test('voiding an item of no order, or every item, is refused', async () => {
    const { pos, cook } = await serverKitchen();
    const order = await place(t, pos, [{ name: 'A' }, { name: 'B' }]);
    expect(
      await failure(gql(t.url, UpdateOrderDocument, { id: order.id, input: { voidItemIds: ['6f1c2b9e-8a7d-4c3b-9e2f-1a2b3c4d5e6f'] } }, pos)),
    ).toEqual({ code: 'NOT_FOUND' });
    expect(
      await failure(gql(t.url, UpdateOrderDocument, { id: order.id, input: { voidItemIds: order.items.map((i) => i.id) } }, pos)),
    ).toEqual({ code: 'BAD_USER_INPUT', field: 'input.voidItemIds' });
    expect(await read(order.id, cook)).toEqual(order);
  });
});

describe('stations', () => {
  test('an item without stationId goes to the first non-expo station', async () => {
    const { pos, byName } = await serverKitchen([
      { name: 'Expo', expo: true },
      { name: 'Cold', expo: false },
      { name: 'Grill', expo: false },
    ]);
    const order = await place(t, pos, [{ name: 'Salad' }, { name: 'Steak', stationId: byName.Grill!.id }, { name: 'Check', stationId: byName.Expo!.id }]);
    expect(order.items.map((i) => i.station)).toEqual([
      { id: byName.Cold!.id, name: 'Cold', expo: false },
      { id: byName.Grill!.id, name: 'Grill', expo: false },
      { id: byName.Expo!.id, name: 'Expo', expo: true },
    ]);
    const { updateOrder } = await ok(t.url, UpdateOrderDocument, { id: order.id, input: { addItems: [{ name: 'Soup' }] } }, pos);
    expect(updateOrder.items[3]!.station).toEqual({ id: byName.Cold!.id, name: 'Cold', expo: false });
  });

  test('an unknown stationId is NOT_FOUND and places or adds nothing', async () => {
    const { pos, cook, restaurant } = await serverKitchen();
    const order = await place(t, pos, [{ name: 'A' }]);
    const [orders, events] = [await orderCount(t.app, restaurant.id), await eventCount(t.app, restaurant.id)];
    for (const stationId of ['0b7e0a57-3c1e-4d8e-a3c4-5b9f5d6e7f80', 'grill', '']) {
      expect(
        await failure(gql(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'B' }, { name: 'C', stationId }] } }, pos)),
        stationId,
      ).toEqual({ code: 'NOT_FOUND' });
      expect(
        await failure(gql(t.url, UpdateOrderDocument, { id: order.id, input: { addItems: [{ name: 'D', stationId }] } }, pos)),
        stationId,
      ).toEqual({ code: 'NOT_FOUND' });
    }
    expect(await orderCount(t.app, restaurant.id)).toBe(orders);
    expect(await eventCount(t.app, restaurant.id)).toBe(events);
    expect(await read(order.id, cook)).toEqual(order);
  });

  test('stations added or renamed after orders were placed are used at once, by placeOrder and updateOrder', async () => {
    const { pos, restaurant, byName } = await serverKitchen([{ name: 'Expo', expo: true }]);
    const first = await place(t, pos, [{ name: 'Water' }]);
    expect(first.items[0]!.station).toBeNull();
    // Added behind the server's back (as the CLI does): the new first non-expo station is the default,
    // and its id is known to the next order that names it.
    const grill = await t.app.services.restaurants.addStation(restaurant.id, { name: 'Grill', expo: false });
    const second = await place(t, pos, [{ name: 'Steak' }, { name: 'Check', stationId: byName.Expo!.id }]);
    expect(second.items.map((i) => i.station)).toEqual([
      { id: grill.id, name: 'Grill', expo: false },
      { id: byName.Expo!.id, name: 'Expo', expo: true },
    ]);
    const fry = await t.app.services.restaurants.addStation(restaurant.id, { name: 'Fry', expo: false });
    expect((await place(t, pos, [{ name: 'Fries', stationId: fry.id }])).items[0]!.station).toEqual({ id: fry.id, name: 'Fry', expo: false });
    await t.app.orm.em.getConnection().execute('update stations set name = ? where id = ?', ['Broiler', grill.id]);
    expect((await place(t, pos, [{ name: 'Burger' }])).items[0]!.station).toEqual({ id: grill.id, name: 'Broiler', expo: false });
    await t.app.orm.em.getConnection().execute('update stations set name = ? where id = ?', ['Charcoal', grill.id]);
    const { updateOrder } = await ok(t.url, UpdateOrderDocument, { id: second.id, input: { addItems: [{ name: 'Ribs' }] } }, pos);
    expect(updateOrder.items[2]!.station).toEqual({ id: grill.id, name: 'Charcoal', expo: false });
    expect(updateOrder.version).toBe(2);
  });

  test('Order.items(stationId) shows a station its own items, and an expo station all of them', async () => {
    const { pos, cook, byName } = await serverKitchen();
    const order = await place(t, pos, [
      { name: 'Burger', stationId: byName.Grill!.id },
      { name: 'Fries', stationId: byName.Fry!.id },
      { name: 'Steak', stationId: byName.Grill!.id },
    ]);
    const itemsAt = async (stationId: string | null) =>
      (await ok(t.url, OrderItemsAtStationDocument, { id: order.id, stationId }, cook)).order!.items.map((i) => i.name);
    expect(await itemsAt(byName.Grill!.id)).toEqual(['Burger', 'Steak']);
    expect(await itemsAt(byName.Fry!.id)).toEqual(['Fries']);
    expect(await itemsAt(byName.Expo!.id)).toEqual(['Burger', 'Fries', 'Steak']);
    expect(await itemsAt(null)).toEqual(['Burger', 'Fries', 'Steak']);
    expect(await itemsAt('5d0c7b1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e')).toEqual([]);
  });
});
