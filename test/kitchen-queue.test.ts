import type { ExecutionResult } from 'graphql';
import { describe, expect, test } from 'vitest';
import {
  BumpOrderDocument,
  KitchenQueueDocument,
  OrderChangedDocument,
  SetItemStatusDocument,
  SetOrderRushDocument,
  UpdateOrderDocument,
  type KitchenQueueSubscription,
  type OrderItemInput,
  type PlaceOrderInput,
} from './generated/graphql.js';
import { cursorSequence } from '../src/schema/types/kitchen-queue.js';
import { kitchen, ok, place, subscribe, useTestApp, wsClient } from './support/harness.js';

const t = useTestApp();

const events = (results: ExecutionResult<KitchenQueueSubscription>[]) => results.map((r) => r.data!.kitchenQueue);
const sequences = (results: ExecutionResult<KitchenQueueSubscription>[]) =>
  events(results).map((e) => cursorSequence(e.cursor)!);

/** A restaurant of its own: the shared kitchen, with placing (as its POS) and bumping (as its cook) at hand. */
async function line() {
  const k = await kitchen(t);
  return {
    ...k,
    place: (items?: OrderItemInput[], extra: Omit<Partial<PlaceOrderInput>, 'items'> = {}) => place(t, k.pos, items, extra),
    bump: async (id: string) => (await ok(t.url, BumpOrderDocument, { id }, k.cook)).bumpOrder,
  };
}

describe('kitchenQueue', () => {
  test('a SNAPSHOT of the live queue, then every kind of change in order, with growing cursors', async () => {
    const k = await line();
    const before = await k.place([{ name: 'Soup' }]);
    const screen = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, {});
    const [snapshot] = events(await screen.take(1));
    expect(snapshot!.kind).toBe('SNAPSHOT');
    expect(snapshot!.order).toBeNull();
    expect(snapshot!.orders!.map((o) => o.id)).toEqual([before.id]);

    const order = await k.place([{ name: 'Burger' }, { name: 'Fries', stationId: k.station('Fry') }]);
    await ok(t.url, UpdateOrderDocument, { id: order.id, input: { notes: 'no salt' } }, k.pos);
    await ok(t.url, SetOrderRushDocument, { id: order.id, rush: true }, k.pos);
    await ok(t.url, SetItemStatusDocument, { itemId: order.items[0]!.id, status: 'PREPARING' }, k.cook);
    await k.bump(order.id);

    const results = await screen.take(6);
    const received = events(results).slice(1);
    expect(received.map((e) => e.kind)).toEqual([
      'ORDER_CREATED',
      'ORDER_UPDATED',
      'ORDER_UPDATED',
      'ITEM_STATUS_CHANGED',
      'ORDER_STATUS_CHANGED',
    ]);
    expect(received.map((e) => e.order!.version)).toEqual([1, 2, 3, 4, 5]);
    expect(received[1]!.order!.notes).toBe('no salt');
    expect(received[2]!.order!.rush).toBe(true);
    // The first item started moved the order: the event says from where.
    expect(received[3]!.previousStatus).toBe('PENDING');
    expect(received[3]!.order!.status).toBe('PREPARING');
    expect(received[4]!.previousStatus).toBe('PREPARING');
    expect(received[4]!.order!.status).toBe('READY');
    const seq = sequences(results);
    expect(seq.slice(1)).toEqual([seq[0]! + 1, seq[0]! + 2, seq[0]! + 3, seq[0]! + 4, seq[0]! + 5]);
    screen.dispose();
  });

  test('with stationId, only orders with an item at that station; the expo sees all', async () => {
    const k = await line();
    const grill = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, { stationId: k.station('Grill') });
    const fry = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, { stationId: k.station('Fry') });
    const expo = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, { stationId: k.station('Expo') });
    await Promise.all([grill.take(1), fry.take(1), expo.take(1)]);

    const grillOnly = await k.place([{ name: 'Steak', stationId: k.station('Grill') }]);
    const fryOnly = await k.place([{ name: 'Fries', stationId: k.station('Fry') }]);
    const both = await k.place([{ name: 'Burger' }, { name: 'Rings', stationId: k.station('Fry') }]);

    const ids = (results: ExecutionResult<KitchenQueueSubscription>[]) => events(results).slice(1).map((e) => e.order!.id);
    expect(ids(await expo.take(4))).toEqual([grillOnly.id, fryOnly.id, both.id]);
    expect(ids(await grill.take(3))).toEqual([grillOnly.id, both.id]);
    expect(ids(await fry.take(3))).toEqual([fryOnly.id, both.id]);
    // Nothing else arrived: a sentinel order at the grill reaches the grill next.
    const sentinel = await k.place([{ name: 'Sentinel', stationId: k.station('Grill') }]);
    expect(ids(await grill.take(4))).toEqual([grillOnly.id, both.id, sentinel.id]);
    expect(fry.results).toHaveLength(3);
    // A resubscribing station screen gets a filtered SNAPSHOT.
    const again = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, { stationId: k.station('Fry') });
    const [snapshot] = events(await again.take(1));
    expect(snapshot!.orders!.map((o) => o.id)).toEqual([fryOnly.id, both.id]);
    for (const s of [grill, fry, expo, again]) s.dispose();
  });

  test("restaurant B's screen receives none of A's events", async () => {
    const a = await line();
    const b = await line();
    const screen = subscribe(wsClient(t.wsUrl, b.cook), KitchenQueueDocument, {});
    const [snapshot] = events(await screen.take(1));
    expect(snapshot!.orders).toEqual([]);
    const fromA = await a.place();
    await a.bump(fromA.id);
    const sentinel = await b.place();
    const received = events(await screen.take(2));
    expect(received[1]!.order!.id).toBe(sentinel.id);
    expect(screen.results).toHaveLength(2);
    screen.dispose();
  });

  test("another restaurant's station answers NOT_FOUND", async () => {
    const a = await line();
    const b = await line();
    const screen = subscribe(wsClient(t.wsUrl, b.cook), KitchenQueueDocument, { stationId: a.station('Grill') });
    const [result] = await screen.take(1);
    expect(result!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(result!.data).toBeUndefined();
  });

  test('resume: disconnect, 15 changes, resubscribe with the cursor: exactly those 15 in order, then live', async () => {
    const k = await line();
    const first = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, {});
    // The SNAPSHOT first: an order placed before it is read would be in it, not an event after it.
    await first.take(1);
    const order = await k.place();
    const seen = await first.take(2);
    const cursor = events(seen)[1]!.cursor;
    first.dispose();

    const placed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const o = await k.place([{ name: `Dish ${i}` }]);
      placed.push(o.id);
      await k.bump(o.id);
      await k.bump(o.id);
    }
    const resumed = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, { after: cursor });
    const replay = await resumed.take(15);
    expect(events(replay).map((e) => e.kind)).toEqual(
      Array.from({ length: 5 }, () => ['ORDER_CREATED', 'ORDER_STATUS_CHANGED', 'ORDER_STATUS_CHANGED']).flat(),
    );
    const start = cursorSequence(cursor)!;
    expect(sequences(replay)).toEqual(Array.from({ length: 15 }, (_, i) => start + 1 + i));
    expect(events(replay).filter((e) => e.kind === 'ORDER_CREATED').map((e) => e.order!.id)).toEqual(placed);

    await k.bump(order.id);
    const [live] = events((await resumed.take(16)).slice(15));
    expect(live!.kind).toBe('ORDER_STATUS_CHANGED');
    expect(live!.order!.id).toBe(order.id);
    expect(cursorSequence(live!.cursor)).toBe(start + 16);
    expect(resumed.results).toHaveLength(16);
    resumed.dispose();
  });

  test('a cursor that is garbage or from the future gets a SNAPSHOT', async () => {
    const k = await line();
    const order = await k.place();
    for (const after of ['garbage', Buffer.from('kq:999999').toString('base64url')]) {
      const screen = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, { after });
      const [first] = events(await screen.take(1));
      expect(first!.kind).toBe('SNAPSHOT');
      expect(first!.orders!.map((o) => o.id)).toEqual([order.id]);
      screen.dispose();
    }
  });
});

describe('orderChanged', () => {
  test("only that order's changes that commit after it starts, with no SNAPSHOT", async () => {
    const k = await line();
    const watched = await k.place();
    const other = await k.place();
    const pos = subscribe(wsClient(t.wsUrl, k.pos), OrderChangedDocument, { id: watched.id });
    // It sends nothing when it starts: change the order until a change arrives, and it is live.
    let rush = false;
    let version = watched.version;
    while (pos.results.length === 0) {
      rush = !rush;
      version = (await ok(t.url, SetOrderRushDocument, { id: watched.id, rush }, k.pos)).setOrderRush.version;
      await pos.take(1, 200).catch(() => undefined);
      if (version > watched.version + 50) throw new Error('orderChanged never started');
    }
    expect(pos.results[0]!.data!.orderChanged).toMatchObject({ kind: 'ORDER_UPDATED', order: { id: watched.id } });
    const before = (await pos.take(version - pos.results[0]!.data!.orderChanged.order!.version + 1)).length;
    await k.bump(other.id);
    await k.bump(watched.id);
    await k.bump(other.id);
    await ok(t.url, SetOrderRushDocument, { id: watched.id, rush: !rush }, k.pos);
    const received = (await pos.take(before + 2)).slice(before).map((r) => r.data!.orderChanged);
    expect(received.map((e) => [e.kind, e.order!.id, e.order!.version])).toEqual([
      ['ORDER_STATUS_CHANGED', watched.id, version + 1],
      ['ORDER_UPDATED', watched.id, version + 2],
    ]);
    pos.dispose();
  });

  test("another restaurant's order or a malformed id answers NOT_FOUND", async () => {
    const a = await line();
    const b = await line();
    const order = await a.place();
    for (const id of [order.id, 'not-an-id']) {
      const s = subscribe(wsClient(t.wsUrl, b.pos), OrderChangedDocument, { id });
      const [result] = await s.take(1);
      expect(result!.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    }
  });
});
