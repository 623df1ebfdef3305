import { describe, expect, test } from 'vitest';
import { DomainError, InvalidTransitionError } from '../src/domain/errors.js';
import type { OrderSnapshot, StationSnapshot } from '../src/domain/order-snapshot.js';
import {
  bumpOrder,
  cancelOrder,
  placeOrder,
  recallOrder,
  setItemStatus,
  setOrderRush,
  setOrderStatus,
  updateOrder,
  type Context,
} from '../src/domain/order-transitions.js';

// No database, no clock: the moment and the ids are the test's.
const T0 = '2026-12-04T12:00:00.000Z';
const T1 = '2026-12-04T12:01:00.000Z';
const GRILL: StationSnapshot = { id: 'st-grill', name: 'Grill', expo: false };
const FRY: StationSnapshot = { id: 'st-fry', name: 'Fry', expo: false };
const EXPO: StationSnapshot = { id: 'st-expo', name: 'Expo', expo: true };
const STATIONS = [EXPO, GRILL, FRY];

function context(at: string): Context {
  let n = 0;
  return { at, newId: () => `id-${++n}` };
}

/** A fresh order with two items (Burger at the grill, Fries at the fry station), as placed at T0. */
function placed(): OrderSnapshot {
  return placeOrder(
    { type: 'TAKEOUT', items: [{ name: 'Burger', quantity: 2 }, { name: 'Fries', quantity: 1, stationId: 'st-fry' }], stations: STATIONS },
    context(T0),
  ).order;
}

/** The error a transition throws, as code and extensions. */
function refusal(run: () => unknown) {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const { code, message, extensions } = error as DomainError;
    return { code, message, extensions };
  }
  throw new Error('the transition did not refuse');
}

describe('placeOrder', () => {
  test('a PENDING order at version 1, stamped with the moment, items at their stations (the first non-expo by default)', () => {
    const { order, event } = placeOrder(
      {
        type: 'DINE_IN',
        table: '12',
        items: [{ name: 'Burger', quantity: 2, modifiers: ['no onion'] }, { name: 'Fries', quantity: 1, stationId: 'st-fry', notes: 'extra salt' }],
        stations: STATIONS,
      },
      context(T0),
    );
    expect(event).toEqual({ kind: 'ORDER_CREATED', previousStatus: null });
    expect(order).toEqual({
      id: 'id-1',
      number: 0,
      type: 'DINE_IN',
      status: 'PENDING',
      rush: false,
      table: '12',
      customerName: null,
      notes: null,
      version: 1,
      createdAt: T0,
      updatedAt: T0,
      startedAt: null,
      readyAt: null,
      completedAt: null,
      cancelledAt: null,
      cancelReason: null,
      items: [
        { id: 'id-2', name: 'Burger', quantity: 2, modifiers: ['no onion'], notes: null, station: GRILL, status: 'PENDING' },
        { id: 'id-3', name: 'Fries', quantity: 1, modifiers: [], notes: 'extra salt', station: FRY, status: 'PENDING' },
      ],
    });
  });

  test('a station that does not exist is NOT_FOUND, naming the item', () => {
    expect(
      refusal(() => placeOrder({ type: 'DINE_IN', items: [{ name: 'A', quantity: 1 }, { name: 'B', quantity: 1, stationId: 'nope' }], stations: STATIONS }, context(T0))),
    ).toEqual({ code: 'NOT_FOUND', message: 'Station of input.items.1 not found', extensions: {} });
  });

  test('without stations, items have none', () => {
    const { order } = placeOrder({ type: 'DINE_IN', items: [{ name: 'A', quantity: 1 }], stations: [] }, context(T0));
    expect(order.items[0]!.station).toBeNull();
  });
});

describe('status steps', () => {
  test('bump walks PENDING -> PREPARING -> READY -> COMPLETED, stamping each status entered and bumping the version', () => {
    let order = placed();
    const steps: [string, string, string][] = [];
    for (const at of [T1, '2026-12-04T12:02:00.000Z', '2026-12-04T12:03:00.000Z']) {
      const change = bumpOrder(order, context(at));
      expect(change.event.kind).toBe('ORDER_STATUS_CHANGED');
      steps.push([change.event.previousStatus!, change.order.status, change.order.updatedAt]);
      order = change.order;
    }
    expect(steps).toEqual([
      ['PENDING', 'PREPARING', T1],
      ['PREPARING', 'READY', '2026-12-04T12:02:00.000Z'],
      ['READY', 'COMPLETED', '2026-12-04T12:03:00.000Z'],
    ]);
    expect(order).toMatchObject({
      version: 4,
      startedAt: T1,
      readyAt: '2026-12-04T12:02:00.000Z',
      completedAt: '2026-12-04T12:03:00.000Z',
      cancelledAt: null,
    });
    // Reaching READY readied every item.
    expect(order.items.map((item) => item.status)).toEqual(['READY', 'READY']);
    expect(refusal(() => bumpOrder(order, context(T1)))).toEqual({
      code: 'INVALID_TRANSITION',
      message: 'Cannot move from COMPLETED to COMPLETED',
      extensions: { from: 'COMPLETED', to: 'COMPLETED' },
    });
  });

  test('the order given is never changed', () => {
    const order = placed();
    const copy = structuredClone(order);
    bumpOrder(order, context(T1));
    setItemStatus(order, 'id-2', 'READY', context(T1));
    updateOrder(order, { voidItemIds: ['id-3'], addItems: [{ name: 'Shake', quantity: 1 }], stations: STATIONS }, context(T1));
    expect(order).toEqual(copy);
  });

  test('recall steps back one; PENDING cannot be recalled', () => {
    const preparing = bumpOrder(placed(), context(T1)).order;
    const back = recallOrder(preparing, context(T1));
    expect(back.event).toEqual({ kind: 'ORDER_STATUS_CHANGED', previousStatus: 'PREPARING' });
    expect(back.order).toMatchObject({ status: 'PENDING', version: 3, startedAt: T1 });
    expect(refusal(() => recallOrder(back.order, context(T1))).extensions).toEqual({ from: 'PENDING', to: 'PENDING' });
  });

  test('setOrderStatus takes one legal step only', () => {
    expect(setOrderStatus(placed(), 'PREPARING', context(T1)).order.status).toBe('PREPARING');
    expect(refusal(() => setOrderStatus(placed(), 'READY', context(T1))).extensions).toEqual({ from: 'PENDING', to: 'READY' });
  });

  test('cancel from a live status keeps the reason and stamps cancelledAt; a cancelled order cannot be cancelled', () => {
    const { order, event } = cancelOrder(placed(), 'customer left', context(T1));
    expect(event).toEqual({ kind: 'ORDER_STATUS_CHANGED', previousStatus: 'PENDING' });
    expect(order).toMatchObject({ status: 'CANCELLED', cancelReason: 'customer left', cancelledAt: T1, version: 2 });
    expect(refusal(() => cancelOrder(order, null, context(T1))).code).toBe('INVALID_TRANSITION');
  });
});

describe('items', () => {
  test('the first item started starts the order; all items ready makes it ready; an item back makes it PREPARING again', () => {
    const started = setItemStatus(placed(), 'id-2', 'PREPARING', context(T1));
    expect(started.event).toEqual({ kind: 'ITEM_STATUS_CHANGED', previousStatus: 'PENDING' });
    expect(started.order).toMatchObject({ status: 'PREPARING', startedAt: T1 });
    const one = setItemStatus(started.order, 'id-2', 'READY', context(T1));
    expect(one.event.previousStatus).toBeNull();
    const both = setItemStatus(one.order, 'id-3', 'READY', context('2026-12-04T12:05:00.000Z'));
    expect(both.event).toEqual({ kind: 'ITEM_STATUS_CHANGED', previousStatus: 'PREPARING' });
    expect(both.order).toMatchObject({ status: 'READY', readyAt: '2026-12-04T12:05:00.000Z', version: 4 });
    const back = setItemStatus(both.order, 'id-3', 'PENDING', context(T1));
    expect(back.order.status).toBe('PREPARING');
    expect(back.event.previousStatus).toBe('READY');
  });

  test('a station cannot void, or set the status an item has', () => {
    expect(refusal(() => setItemStatus(placed(), 'id-2', 'VOIDED', context(T1))).extensions).toEqual({ from: 'PENDING', to: 'VOIDED' });
    expect(refusal(() => setItemStatus(placed(), 'id-2', 'PENDING', context(T1))).extensions).toEqual({ from: 'PENDING', to: 'PENDING' });
    expect(refusal(() => setItemStatus(placed(), 'nope', 'READY', context(T1))).code).toBe('NOT_FOUND');
  });
});

describe('updateOrder', () => {
  test('changes the fields it names, voids and adds items (positions after the last), and follows the items', () => {
    const { order, event } = updateOrder(
      placed(),
      { notes: 'allergy: nuts', voidItemIds: ['id-2'], addItems: [{ name: 'Shake', quantity: 3, stationId: 'st-expo' }], stations: STATIONS },
      context(T1),
    );
    expect(event).toEqual({ kind: 'ORDER_UPDATED', previousStatus: null });
    expect(order).toMatchObject({ notes: 'allergy: nuts', table: null, version: 2, updatedAt: T1, status: 'PENDING' });
    expect(order.items.map(({ id, name, status, station }) => [id, name, status, station?.name])).toEqual([
      ['id-2', 'Burger', 'VOIDED', 'Grill'],
      ['id-3', 'Fries', 'PENDING', 'Fry'],
      ['id-1', 'Shake', 'PENDING', 'Expo'],
    ]);
  });

  test('voiding the last pending items of a started order makes it READY', () => {
    const started = setItemStatus(placed(), 'id-2', 'READY', context(T1)).order;
    const { order, event } = updateOrder(started, { voidItemIds: ['id-3'] }, context('2026-12-04T12:09:00.000Z'));
    expect(event).toEqual({ kind: 'ORDER_UPDATED', previousStatus: 'PREPARING' });
    expect(order).toMatchObject({ status: 'READY', readyAt: '2026-12-04T12:09:00.000Z' });
  });

  test('refusals: a closed order, an unknown or voided item, too many items, nothing left', () => {
    const order = placed();
    const completed = { ...order, status: 'COMPLETED' as const };
    expect(refusal(() => updateOrder(completed, { notes: 'x' }, context(T1)))).toMatchObject({ code: 'INVALID_TRANSITION' });
    expect(refusal(() => updateOrder(order, { voidItemIds: ['nope'] }, context(T1)))).toEqual({
      code: 'NOT_FOUND',
      message: 'Order item not found',
      extensions: {},
    });
    const voided = updateOrder(order, { voidItemIds: ['id-2'] }, context(T1)).order;
    expect(refusal(() => updateOrder(voided, { voidItemIds: ['id-2'] }, context(T1))).extensions).toEqual({ from: 'VOIDED', to: 'VOIDED' });
    const many = Array.from({ length: 99 }, () => ({ name: 'X', quantity: 1 }));
    expect(refusal(() => updateOrder(order, { addItems: many, stations: STATIONS }, context(T1)))).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'an order has at most 100 items',
      extensions: { field: 'input.addItems' },
    });
    expect(refusal(() => updateOrder(order, { voidItemIds: ['id-2', 'id-3'] }, context(T1))).extensions).toEqual({
      field: 'input.voidItemIds',
    });
  });
});

test('rush is set on a live order only, and moves no status', () => {
  const { order, event } = setOrderRush(placed(), true, context(T1));
  expect(event).toEqual({ kind: 'ORDER_UPDATED', previousStatus: null });
  expect(order).toMatchObject({ rush: true, version: 2, status: 'PENDING', updatedAt: T1 });
  const cancelled = cancelOrder(placed(), null, context(T1)).order;
  expect(() => setOrderRush(cancelled, true, context(T1))).toThrow(InvalidTransitionError);
});

