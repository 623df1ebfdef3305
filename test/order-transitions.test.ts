import { describe, expect, test } from 'vitest';
import {
  BumpOrderDocument,
  CancelOrderDocument,
  OrderDocument,
  RecallOrderDocument,
  SetOrderStatusDocument,
  UpdateOrderDocument,
  type OrderFieldsFragment,
  type OrderStatus,
} from './generated/graphql.js';
import { failure, gql, kitchen, ok, place, useTestApp } from './support/harness.js';

const t = useTestApp();

type Order = OrderFieldsFragment;

/** Every order here has two items. */
const placeTwo = (pos: string) => place(t, pos, [{ name: 'Burger' }, { name: 'Fries' }]);

async function read(id: string, token: string): Promise<Order> {
  const data = await ok(t.url, OrderDocument, { id }, token);
  if (!data.order) throw new Error(`order ${id} not found`);
  return data.order;
}

const bump = async (id: string, token: string) => (await ok(t.url, BumpOrderDocument, { id }, token)).bumpOrder;
const recall = async (id: string, token: string) => (await ok(t.url, RecallOrderDocument, { id }, token)).recallOrder;

/** A fresh order brought to `status` along the line (bumps, or a cancel). */
async function orderIn(status: OrderStatus, pos: string, cook: string): Promise<Order> {
  let order = await placeTwo(pos);
  if (status === 'CANCELLED') return (await ok(t.url, CancelOrderDocument, { id: order.id }, pos)).cancelOrder;
  const line: OrderStatus[] = ['PENDING', 'PREPARING', 'READY', 'COMPLETED'];
  for (let i = 0; i < line.indexOf(status); i++) order = await bump(order.id, cook);
  expect(order.status).toBe(status);
  return order;
}

const STAMP = { PENDING: null, PREPARING: 'startedAt', READY: 'readyAt', COMPLETED: 'completedAt', CANCELLED: 'cancelledAt' } as const;
const STAMPS = ['startedAt', 'readyAt', 'completedAt', 'cancelledAt'] as const;
const ms = (iso: string | null) => (iso === null ? NaN : Date.parse(iso));

/** The step entered `to` now: its stamp is at or after the previous change, the other stamps are untouched, version + 1. */
function expectStep(before: Order, after: Order, to: OrderStatus) {
  expect(after.id).toBe(before.id);
  expect(after.status).toBe(to);
  expect(after.version).toBe(before.version + 1);
  expect(ms(after.updatedAt)).toBeGreaterThanOrEqual(ms(before.updatedAt));
  const stamp = STAMP[to];
  for (const field of STAMPS) {
    if (field === stamp) {
      expect(after[field], field).not.toBeNull();
      expect(ms(after[field])).toBeGreaterThanOrEqual(ms(before.updatedAt));
      expect(ms(after[field])).toBeLessThanOrEqual(ms(after.updatedAt));
    } else {
      expect(after[field], field).toBe(before[field]);
    }
  }
}

describe('bump', () => {
  test('walks PENDING -> PREPARING -> READY -> COMPLETED, stamping each status it enters', async () => {
    const { pos, cook } = await kitchen(t);
    const placed = await placeTwo(pos);
    expect(placed).toMatchObject({ status: 'PENDING', startedAt: null, readyAt: null, completedAt: null, cancelledAt: null, cancelReason: null });
    expect(placed.version).toBe(1);

    const preparing = await bump(placed.id, cook);
    expectStep(placed, preparing, 'PREPARING');
    const ready = await bump(placed.id, cook);
    expectStep(preparing, ready, 'READY');
    // The expo's bump to READY takes the items along.
    expect(ready.items.map((item) => item.status)).toEqual(['READY', 'READY']);
    const completed = await bump(placed.id, cook);
    expectStep(ready, completed, 'COMPLETED');
    expect(completed.version).toBe(4);

    // What the mutation answered is what was stored.
    expect(await read(placed.id, cook)).toEqual(completed);
  });

  test('from COMPLETED or CANCELLED is INVALID_TRANSITION and changes nothing', async () => {
    const { pos, cook } = await kitchen(t);
    for (const status of ['COMPLETED', 'CANCELLED'] as const) {
      const order = await orderIn(status, pos, cook);
      expect(await failure(gql(t.url, BumpOrderDocument, { id: order.id }, cook))).toEqual({
        code: 'INVALID_TRANSITION',
        from: status,
        to: status,
      });
      expect(await read(order.id, cook)).toEqual(order);
    }
  });
});

describe('recall', () => {
  test('steps back one status at a time from COMPLETED to PENDING, then refuses', async () => {
    const { pos, cook } = await kitchen(t);
    const completed = await orderIn('COMPLETED', pos, cook);

    const ready = await recall(completed.id, cook);
    expectStep(completed, ready, 'READY');
    const preparing = await recall(completed.id, cook);
    expectStep(ready, preparing, 'PREPARING');
    const pending = await recall(completed.id, cook);
    expectStep(preparing, pending, 'PENDING');
    expect(pending.version).toBe(completed.version + 3);

    expect(await failure(gql(t.url, RecallOrderDocument, { id: completed.id }, cook))).toEqual({
      code: 'INVALID_TRANSITION',
      from: 'PENDING',
      to: 'PENDING',
    });
    expect(await read(completed.id, cook)).toEqual(pending);
  });

  test('of a CANCELLED order is INVALID_TRANSITION', async () => {
    const { pos, cook } = await kitchen(t);
    const cancelled = await orderIn('CANCELLED', pos, cook);
    expect(await failure(gql(t.url, RecallOrderDocument, { id: cancelled.id }, cook))).toEqual({
      code: 'INVALID_TRANSITION',
      from: 'CANCELLED',
      to: 'CANCELLED',
    });
    expect(await read(cancelled.id, cook)).toEqual(cancelled);
  });
});

describe('cancel', () => {
  test.each(['PENDING', 'PREPARING', 'READY'] as const)('from %s stamps cancelledAt and stores the reason', async (from) => {
    const { pos, cook } = await kitchen(t);
    const order = await orderIn(from, pos, cook);
    const { cancelOrder } = await ok(t.url, CancelOrderDocument, { id: order.id, reason: 'Guest left' }, pos);
    expectStep(order, cancelOrder, 'CANCELLED');
    expect(cancelOrder.cancelReason).toBe('Guest left');
    expect(await read(order.id, cook)).toEqual(cancelOrder);
  });

  test('without a reason leaves cancelReason null', async () => {
    const { pos, cook } = await kitchen(t);
    const order = await placeTwo(pos);
    const { cancelOrder } = await ok(t.url, CancelOrderDocument, { id: order.id }, pos);
    expect(cancelOrder).toMatchObject({ status: 'CANCELLED', cancelReason: null, version: order.version + 1 });
    expect(cancelOrder.cancelledAt).not.toBeNull();
    expect(await read(order.id, cook)).toEqual(cancelOrder);
  });

  test('of a COMPLETED or CANCELLED order is INVALID_TRANSITION and keeps the first reason', async () => {
    const { pos, cook } = await kitchen(t);
    const completed = await orderIn('COMPLETED', pos, cook);
    expect(await failure(gql(t.url, CancelOrderDocument, { id: completed.id, reason: 'late' }, pos))).toEqual({
      code: 'INVALID_TRANSITION',
      from: 'COMPLETED',
      to: 'CANCELLED',
    });
    expect(await read(completed.id, cook)).toEqual(completed);

    const first = await placeTwo(pos);
    const { cancelOrder: cancelled } = await ok(t.url, CancelOrderDocument, { id: first.id, reason: 'first' }, pos);
    expect(await failure(gql(t.url, CancelOrderDocument, { id: first.id, reason: 'second' }, pos))).toEqual({
      code: 'INVALID_TRANSITION',
      from: 'CANCELLED',
      to: 'CANCELLED',
    });
    const stored = await read(first.id, cook);
    expect(stored).toEqual(cancelled);
    expect(stored.cancelReason).toBe('first');
  });
});

describe('setOrderStatus', () => {
  const legal: [OrderStatus, OrderStatus][] = [
    ['PENDING', 'PREPARING'],
    ['PREPARING', 'READY'],
    ['READY', 'COMPLETED'],
    ['COMPLETED', 'READY'],
    ['READY', 'PREPARING'],
    ['PREPARING', 'PENDING'],
    ['PENDING', 'CANCELLED'],
    ['PREPARING', 'CANCELLED'],
    ['READY', 'CANCELLED'],
  ];

  test.each(legal)('%s -> %s is a legal single step', async (from, to) => {
    const { pos, cook } = await kitchen(t);
    const order = await orderIn(from, pos, cook);
    const { setOrderStatus } = await ok(t.url, SetOrderStatusDocument, { id: order.id, status: to }, cook);
    expectStep(order, setOrderStatus, to);
    expect(setOrderStatus.cancelReason).toBeNull();
    expect(await read(order.id, cook)).toEqual(setOrderStatus);
  });

  const ALL: OrderStatus[] = ['PENDING', 'PREPARING', 'READY', 'COMPLETED', 'CANCELLED'];
  test.each(ALL)('every other target from %s (its own status included) is INVALID_TRANSITION', async (from) => {
    const { pos, cook } = await kitchen(t);
    const order = await orderIn(from, pos, cook);
    const illegal = ALL.filter((to) => !legal.some(([f, t2]) => f === from && t2 === to));
    expect(illegal).toContain(from);
    const refusals = await Promise.all(illegal.map((to) => failure(gql(t.url, SetOrderStatusDocument, { id: order.id, status: to }, cook))));
    expect(refusals).toEqual(illegal.map((to) => ({ code: 'INVALID_TRANSITION', from, to })));
    expect(await read(order.id, cook)).toEqual(order);
  });
});

describe('expectedVersion', () => {
  test('a wrong one is VERSION_CONFLICT with the current version, and nothing changes', async () => {
    const { pos, cook } = await kitchen(t);
    const order = await bump((await placeTwo(pos)).id, cook);
    expect(order.version).toBe(2);
    const conflict = { code: 'VERSION_CONFLICT', currentVersion: 2 };

    const attempts = [1, 3, 0, -1].flatMap((stale) => [
      gql(t.url, BumpOrderDocument, { id: order.id, expectedVersion: stale }, cook),
      gql(t.url, RecallOrderDocument, { id: order.id, expectedVersion: stale }, cook),
      gql(t.url, SetOrderStatusDocument, { id: order.id, status: 'READY', expectedVersion: stale }, cook),
      gql(t.url, CancelOrderDocument, { id: order.id, reason: 'x', expectedVersion: stale }, pos),
      gql(t.url, UpdateOrderDocument, { id: order.id, input: { table: 'T9' }, expectedVersion: stale }, pos),
    ]);
    const refusals = await Promise.all(attempts.map(failure));
    expect(refusals).toEqual(attempts.map(() => conflict));
    const stored = await read(order.id, cook);
    expect(stored).toEqual(order);
    expect(stored).toMatchObject({ status: 'PREPARING', version: 2, table: null, cancelReason: null });
  });

  test('the right one lets the change through, and is stale afterwards', async () => {
    const { pos, cook } = await kitchen(t);
    const order = await placeTwo(pos);
    const { bumpOrder } = await ok(t.url, BumpOrderDocument, { id: order.id, expectedVersion: order.version }, cook);
    expect(bumpOrder).toMatchObject({ status: 'PREPARING', version: order.version + 1 });
    expect(await failure(gql(t.url, BumpOrderDocument, { id: order.id, expectedVersion: order.version }, cook))).toEqual({
      code: 'VERSION_CONFLICT',
      currentVersion: order.version + 1,
    });
    const { updateOrder } = await ok(
      t.url,
      UpdateOrderDocument,
      { id: order.id, input: { notes: 'no onions' }, expectedVersion: bumpOrder.version },
      pos,
    );
    expect(updateOrder).toMatchObject({ status: 'PREPARING', notes: 'no onions', version: order.version + 2 });
    const { cancelOrder } = await ok(t.url, CancelOrderDocument, { id: order.id, expectedVersion: updateOrder.version }, pos);
    expect(cancelOrder).toMatchObject({ status: 'CANCELLED', version: order.version + 3 });
    expect(await read(order.id, cook)).toEqual(cancelOrder);
  });
});
