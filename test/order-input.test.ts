import { describe, expect, test } from 'vitest';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  OrderDocument,
  PlaceOrderDocument,
  UpdateOrderDocument,
  type OrderItemInput,
  type PlaceOrderInput,
  type UpdateOrderInput,
} from './generated/graphql.js';
import { counters, eventCount, orderCount } from './support/db.js';
import { failure, gql, itemsInput, kitchen, newKey, ok, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();

/** One code point that is two UTF-16 units: lengths must count code points. */
const E = '🍔';
const chars = (n: number) => E.repeat(n);

const base = (): PlaceOrderInput => ({ clientRequestId: newKey(), items: [{ name: 'Burger' }] });
/** An order of two items whose second one is `item`: the error path must name index 1. */
const withItem = (item: Partial<OrderItemInput>): PlaceOrderInput => ({
  clientRequestId: newKey(),
  items: [{ name: 'Burger' }, { name: 'Fries', ...item }],
});

interface Bound {
  what: string;
  /** The input at the bound (passes) and past it (fails). */
  at: PlaceOrderInput;
  past: PlaceOrderInput[];
  field: string;
  /** Checks the stored order that `at` placed. */
  stored: (order: { items: { name: string; quantity: number; modifiers: string[]; notes: string | null }[]; table: string | null; customerName: string | null; notes: string | null }) => void;
}

const placeBounds: Bound[] = [
  {
    what: 'items: 1 to 100',
    at: { clientRequestId: newKey(), items: itemsInput(100) },
    past: [{ clientRequestId: newKey(), items: itemsInput(101) }, { clientRequestId: newKey(), items: [] }],
    field: 'input.items',
    stored: (o) => expect(o.items.map((i) => i.name)).toEqual(itemsInput(100).map((i) => i.name)),
  },
  {
    what: 'quantity: up to 999',
    at: withItem({ quantity: 999 }),
    past: [withItem({ quantity: 1000 })],
    field: 'input.items.1.quantity',
    stored: (o) => expect(o.items[1]!.quantity).toBe(999),
  },
  {
    what: 'quantity: at least 1',
    at: withItem({ quantity: 1 }),
    past: [withItem({ quantity: 0 }), withItem({ quantity: -5 })],
    field: 'input.items.1.quantity',
    stored: (o) => expect(o.items[1]!.quantity).toBe(1),
  },
  {
    what: 'item name: up to 200 code points',
    at: withItem({ name: chars(200) }),
    past: [withItem({ name: chars(201) })],
    field: 'input.items.1.name',
    stored: (o) => expect(o.items[1]!.name).toBe(chars(200)),
  },
  {
    what: 'item name: at least 1 character',
    at: withItem({ name: 'x' }),
    past: [withItem({ name: '' })],
    field: 'input.items.1.name',
    stored: (o) => expect(o.items[1]!.name).toBe('x'),
  },
  {
    what: 'modifiers: up to 20',
    at: withItem({ modifiers: Array.from({ length: 20 }, (_, i) => `m${i}`) }),
    past: [withItem({ modifiers: Array.from({ length: 21 }, (_, i) => `m${i}`) })],
    field: 'input.items.1.modifiers',
    stored: (o) => expect(o.items[1]!.modifiers).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`)),
  },
  {
    what: 'a modifier: up to 100 code points',
    at: withItem({ modifiers: ['ok', chars(100)] }),
    past: [withItem({ modifiers: ['ok', chars(101)] })],
    field: 'input.items.1.modifiers.1',
    stored: (o) => expect(o.items[1]!.modifiers).toEqual(['ok', chars(100)]),
  },
  {
    what: 'a modifier: at least 1 character',
    at: withItem({ modifiers: ['ok', 'y'] }),
    past: [withItem({ modifiers: ['ok', ''] })],
    field: 'input.items.1.modifiers.1',
    stored: (o) => expect(o.items[1]!.modifiers).toEqual(['ok', 'y']),
  },
  {
    what: 'item notes: up to 500 code points',
    at: withItem({ notes: chars(500) }),
    past: [withItem({ notes: chars(501) })],
    field: 'input.items.1.notes',
    stored: (o) => expect(o.items[1]!.notes).toBe(chars(500)),
  },
  {
    what: 'table: up to 100 code points',
    at: { ...base(), table: chars(100) },
    past: [{ ...base(), table: chars(101) }],
    field: 'input.table',
    stored: (o) => expect(o.table).toBe(chars(100)),
  },
  {
    what: 'customerName: up to 100 code points',
    at: { ...base(), customerName: chars(100) },
    past: [{ ...base(), customerName: chars(101) }],
    field: 'input.customerName',
    stored: (o) => expect(o.customerName).toBe(chars(100)),
  },
  {
    what: 'notes: up to 500 code points',
    at: { ...base(), notes: chars(500) },
    past: [{ ...base(), notes: chars(501) }],
    field: 'input.notes',
    stored: (o) => expect(o.notes).toBe(chars(500)),
  },
  {
    what: 'clientRequestId: 1 to 100 code points',
    at: { ...base(), clientRequestId: chars(100) },
    past: [{ ...base(), clientRequestId: chars(101) }, { ...base(), clientRequestId: '' }],
    field: 'input.clientRequestId',
    stored: () => {},
  },
];

describe('placeOrder input bounds', () => {
  test.each(placeBounds.map((b) => [b.what, b] as const))('%s', async (_what, bound) => {
    const { restaurant, pos, cook } = await kitchen(t);
    for (const input of bound.past) {
      expect(await failure(gql(t.url, PlaceOrderDocument, { input }, pos))).toEqual({ code: 'BAD_USER_INPUT', field: bound.field });
    }
    expect(await orderCount(t.app, restaurant.id)).toBe(0);
    expect(await eventCount(t.app, restaurant.id)).toBe(0);

    const { placeOrder } = await ok(t.url, PlaceOrderDocument, { input: bound.at }, pos);
    bound.stored(placeOrder);
    const { order } = await ok(t.url, OrderDocument, { id: placeOrder.id }, cook);
    expect(order).toEqual(placeOrder);
    expect(placeOrder.number).toBe(1);
  });

  test('a GraphQL-level breach (missing items, wrong type) is BAD_USER_INPUT', async () => {
    const { pos } = await kitchen(t);
    const cases = [
      { clientRequestId: newKey() },
      { clientRequestId: newKey(), items: [{ name: 'A', quantity: 'two' }] },
      { clientRequestId: newKey(), items: [{ name: 'A', quantity: 2 ** 31 }] },
      { clientRequestId: newKey(), items: [{ name: 'A' }], type: 'DRIVE_THRU' },
    ];
    for (const input of cases) {
      const response = await gql(t.url, PlaceOrderDocument, { input: input as unknown as PlaceOrderInput }, pos);
      expect(response.errors?.[0]?.extensions?.code, JSON.stringify(input)).toBe('BAD_USER_INPUT');
      expect(response.data ?? null).toBeNull();
    }
  });
});

describe('updateOrder and cancelOrder input bounds', () => {
  test('table, customerName, notes and added items are bounded like placeOrder', async () => {
    const { restaurant, pos } = await kitchen(t);
    const order = (await ok(t.url, PlaceOrderDocument, { input: base() }, pos)).placeOrder;
    const events = await eventCount(t.app, restaurant.id);
    const past: [UpdateOrderInput, string][] = [
      [{ table: chars(101) }, 'input.table'],
      [{ customerName: chars(101) }, 'input.customerName'],
      [{ notes: chars(501) }, 'input.notes'],
      [{ addItems: [{ name: 'ok' }, { name: chars(201) }] }, 'input.addItems.1.name'],
      [{ addItems: [{ name: '' }] }, 'input.addItems.0.name'],
      [{ addItems: [{ name: 'A', quantity: 1000 }] }, 'input.addItems.0.quantity'],
      [{ addItems: [{ name: 'A', quantity: 0 }] }, 'input.addItems.0.quantity'],
      [{ addItems: [{ name: 'A', modifiers: Array.from({ length: 21 }, () => 'm') }] }, 'input.addItems.0.modifiers'],
      [{ addItems: [{ name: 'A', modifiers: [chars(101)] }] }, 'input.addItems.0.modifiers.0'],
      [{ addItems: [{ name: 'A', notes: chars(501) }] }, 'input.addItems.0.notes'],
      // The order has one item: 100 more would make 101.
      [{ addItems: itemsInput(100) }, 'input.addItems'],
      [{ addItems: itemsInput(101) }, 'input.addItems'],
      [{}, 'input'],
    ];
    for (const [input, field] of past) {
      expect(await failure(gql(t.url, UpdateOrderDocument, { id: order.id, input }, pos)), field).toEqual({
        code: 'BAD_USER_INPUT',
        field,
      });
    }
    expect(await eventCount(t.app, restaurant.id)).toBe(events);

    const { updateOrder } = await ok(
      t.url,
      UpdateOrderDocument,
      {
        id: order.id,
        input: {
          table: chars(100),
          customerName: chars(100),
          notes: chars(500),
          addItems: [
            { name: chars(200), quantity: 999, notes: chars(500), modifiers: Array.from({ length: 20 }, () => chars(100)) },
            ...itemsInput(98),
          ],
        },
      },
      pos,
    );
    expect(updateOrder).toMatchObject({ table: chars(100), customerName: chars(100), notes: chars(500), version: 2 });
    expect(updateOrder.items).toHaveLength(100);
    expect(updateOrder.items[1]).toMatchObject({ name: chars(200), quantity: 999, notes: chars(500) });
    expect(updateOrder.items[1]!.modifiers).toEqual(Array.from({ length: 20 }, () => chars(100)));
    // Full: one more is one too many.
    expect(await failure(gql(t.url, UpdateOrderDocument, { id: order.id, input: { addItems: [{ name: 'A' }] } }, pos))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input.addItems',
    });
  });

  test('a cancel reason is up to 500 code points', async () => {
    const { restaurant, pos } = await kitchen(t);
    const order = (await ok(t.url, PlaceOrderDocument, { input: base() }, pos)).placeOrder;
    expect(await failure(gql(t.url, CancelOrderDocument, { id: order.id, reason: chars(501) }, pos))).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'reason',
    });
    expect(await eventCount(t.app, restaurant.id)).toBe(1);
    const { cancelOrder } = await ok(t.url, CancelOrderDocument, { id: order.id, reason: chars(500) }, pos);
    expect(cancelOrder).toMatchObject({ status: 'CANCELLED', cancelReason: chars(500), version: 2 });
  });
});

describe('placeOrder idempotency', () => {
  test('the same clientRequestId and input returns the first order and appends nothing', async () => {
    const { restaurant, pos, cook } = await kitchen(t);
    const input: PlaceOrderInput = {
      clientRequestId: newKey(),
      table: 'T7',
      items: [{ name: 'Burger', quantity: 2, modifiers: ['no pickles'] }, { name: 'Fries' }],
    };
    const first = (await ok(t.url, PlaceOrderDocument, { input }, pos)).placeOrder;
    expect(await eventCount(t.app, restaurant.id)).toBe(1);

    const retry = (await ok(t.url, PlaceOrderDocument, { input }, pos)).placeOrder;
    expect(retry).toEqual(first);
    // The same input spelled with its defaults, by another POS of the restaurant.
    const spelled: PlaceOrderInput = {
      ...input,
      type: 'DINE_IN',
      rush: false,
      items: [{ name: 'Burger', quantity: 2, modifiers: ['no pickles'] }, { name: 'Fries', quantity: 1, modifiers: [] }],
    };
    expect((await ok(t.url, PlaceOrderDocument, { input: spelled }, tokenFor(t.app, restaurant, 'SERVER'))).placeOrder).toEqual(first);
    expect(await eventCount(t.app, restaurant.id)).toBe(1);
    expect(await orderCount(t.app, restaurant.id)).toBe(1);

    // A retry after the kitchen moved it still names the first order.
    await ok(t.url, BumpOrderDocument, { id: first.id }, cook);
    const later = (await ok(t.url, PlaceOrderDocument, { input }, pos)).placeOrder;
    expect(later).toMatchObject({ id: first.id, number: first.number });
    expect(await eventCount(t.app, restaurant.id)).toBe(2);

    // Retries took no ticket number.
    const next = (await ok(t.url, PlaceOrderDocument, { input: base() }, pos)).placeOrder;
    expect(next.number).toBe(first.number + 1);
  });

  test('the same clientRequestId with a different input is BAD_USER_INPUT on input.clientRequestId', async () => {
    const { restaurant, pos, cook } = await kitchen(t);
    const input: PlaceOrderInput = { clientRequestId: newKey(), table: 'T7', items: [{ name: 'Burger' }] };
    const first = (await ok(t.url, PlaceOrderDocument, { input }, pos)).placeOrder;
    const [events, { lastOrderNumber }] = [await eventCount(t.app, restaurant.id), await counters(t.app, restaurant.id)];
    const variants: PlaceOrderInput[] = [
      { ...input, table: 'T8' },
      { ...input, items: [{ name: 'Burger', quantity: 2 }] },
      { ...input, items: [{ name: 'Burger' }, { name: 'Fries' }] },
      { ...input, rush: true },
      { ...input, type: 'TAKEOUT' },
    ];
    for (const variant of variants) {
      expect(await failure(gql(t.url, PlaceOrderDocument, { input: variant }, pos)), JSON.stringify(variant)).toEqual({
        code: 'BAD_USER_INPUT',
        field: 'input.clientRequestId',
      });
    }
    expect(await eventCount(t.app, restaurant.id)).toBe(events);
    expect((await counters(t.app, restaurant.id)).lastOrderNumber).toBe(lastOrderNumber);
    expect(await orderCount(t.app, restaurant.id)).toBe(1);
    expect((await ok(t.url, OrderDocument, { id: first.id }, cook)).order).toEqual(first);
  });

  test('a clientRequestId is scoped to its restaurant', async () => {
    const a = await kitchen(t);
    const b = await kitchen(t);
    const input: PlaceOrderInput = { clientRequestId: newKey(), items: [{ name: 'Burger' }] };
    const inA = (await ok(t.url, PlaceOrderDocument, { input }, a.pos)).placeOrder;
    const inB = (await ok(t.url, PlaceOrderDocument, { input }, b.pos)).placeOrder;
    expect(inB.id).not.toBe(inA.id);
    expect([inA.number, inB.number]).toEqual([1, 1]);
    expect(await eventCount(t.app, b.restaurant.id)).toBe(1);
  });
});
