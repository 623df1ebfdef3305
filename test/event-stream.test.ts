import type { ExecutionResult } from 'graphql';
import { describe, expect, test } from 'vitest';
import { cursorSequence } from '../src/schema/types/kitchen-queue.js';
import type { NewEvent, StreamEvent } from '../src/services/event-log.js';
import type { EventStream } from '../src/services/event-stream.js';
import {
  BumpOrderDocument,
  KitchenQueueDocument,
  OrderChangedDocument,
  type KitchenQueueSubscription,
} from './generated/graphql.js';
import { losingPublishes } from './support/bus.js';
import { counters, eventCount } from './support/db.js';
import { kitchen, ok, place, subscribe, useTestApp, wsClient } from './support/harness.js';

/** Publishes of events that are not an order's, for the restaurants named here, are lost on the way. */
const loseOtherSubjectsOf = new Set<string>();
const losing = losingPublishes((event) => event.subject !== 'ORDER' && loseOtherSubjectsOf.has(event.restaurantId));

const t = useTestApp({ wrapBus: losing });
/** An instance that keeps no tail: every replay reads the table. */
const cold = useTestApp({ stream: { tailSize: 0 } });

const SETTINGS: NewEvent = { subject: 'RESTAURANT', subjectId: null, kind: 'SETTINGS_CHANGED', payload: { lateAfterSeconds: 600 } };
const TABLE: NewEvent = {
  subject: 'TABLE',
  subjectId: '00000000-0000-4000-8000-000000000001',
  kind: 'TABLE_CREATED',
  payload: { name: 'T1' },
};

/** Every event of the restaurant after `after`, of whatever subject. */
function everything(events: EventStream, restaurantId: string, after: number) {
  return events.subscribe<StreamEvent, never>(restaurantId, {
    after,
    accepts: (event): event is StreamEvent => true,
    start: () => Promise.reject(new Error(`cursor ${after} should resume`)),
  });
}

async function take<T>(iterator: AsyncIterator<T>, count: number, timeoutMs = 5_000): Promise<T[]> {
  const taken: T[] = [];
  const deadline = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`expected ${count} items, got ${taken.length}`)), timeoutMs).unref(),
  );
  while (taken.length < count) taken.push((await Promise.race([iterator.next(), deadline])).value as T);
  return taken;
}

const shape = (event: StreamEvent) => [event.sequence, event.subject, event.kind];
type Delivered = KitchenQueueSubscription['kitchenQueue'];
/** What a kitchenQueue or orderChanged subscription delivered: position, kind, order. */
const kitchenEvents = (results: ExecutionResult<Record<string, Delivered>>[]) =>
  results.map((r) => Object.values(r.data!)[0]!).map((e) => [cursorSequence(e.cursor), e.kind, e.order?.id ?? null]);

async function setUp() {
  const k = await kitchen(t);
  return { ...k, place: () => place(t, k.pos) };
}

describe("the restaurant's one event stream", () => {
  test('events of any subject share the sequence; each subscription gets only its own, live and replayed', async () => {
    const k = await setUp();
    const events = t.app.services.events;
    const screen = subscribe(wsClient(t.wsUrl, k.cook), KitchenQueueDocument, {});
    const [snapshot] = await screen.take(1);
    const s0 = cursorSequence(snapshot!.data!.kitchenQueue.cursor)!;
    const all = everything(events, k.restaurant.id, s0);

    const a = await k.place();
    const changes = subscribe(wsClient(t.wsUrl, k.cook), OrderChangedDocument, { id: a.id });
    await events.transaction(async (tx) => {
      await tx.append(k.restaurant.id, SETTINGS);
      await tx.append(k.restaurant.id, TABLE);
    });
    const b = await k.place();
    await ok(t.url, BumpOrderDocument, { id: a.id }, k.cook);

    expect((await take(all, 4)).map(shape)).toEqual([
      [s0 + 1, 'ORDER', 'ORDER_CREATED'],
      [s0 + 2, 'RESTAURANT', 'SETTINGS_CHANGED'],
      [s0 + 3, 'TABLE', 'TABLE_CREATED'],
      [s0 + 4, 'ORDER', 'ORDER_CREATED'],
    ]);
    // The kitchen's order events only; what it got before b's would have come before it.
    expect(kitchenEvents(await screen.take(4))).toEqual([
      [s0, 'SNAPSHOT', null],
      [s0 + 1, 'ORDER_CREATED', a.id],
      [s0 + 4, 'ORDER_CREATED', b.id],
      [s0 + 5, 'ORDER_STATUS_CHANGED', a.id],
    ]);
    expect(kitchenEvents(await changes.take(1))).toEqual([[s0 + 5, 'ORDER_STATUS_CHANGED', a.id]]);

    // Resuming from a's cursor, on this instance (from memory) and on one with no tail (from the table).
    const cursorOfA = (await screen.take(2))[1]!.data!.kitchenQueue.cursor;
    for (const instance of [t, cold]) {
      const resumed = subscribe(wsClient(instance.wsUrl, k.cook), KitchenQueueDocument, { after: cursorOfA });
      expect(kitchenEvents(await resumed.take(2))).toEqual([
        [s0 + 4, 'ORDER_CREATED', b.id],
        [s0 + 5, 'ORDER_STATUS_CHANGED', a.id],
      ]);
      resumed.dispose();
      expect((await take(everything(instance.app.services.events, k.restaurant.id, s0 + 1), 2)).map(shape)).toEqual([
        [s0 + 2, 'RESTAURANT', 'SETTINGS_CHANGED'],
        [s0 + 3, 'TABLE', 'TABLE_CREATED'],
      ]);
    }
    const [fromTable] = await take(everything(cold.app.services.events, k.restaurant.id, s0 + 2), 1);
    expect(fromTable).toMatchObject({ ...TABLE, restaurantId: k.restaurant.id, sequence: s0 + 3 });
    screen.dispose();
    changes.dispose();
    await all.return?.();
  });

  test('a change that throws appends nothing and publishes nothing', async () => {
    const k = await setUp();
    const events = t.app.services.events;
    const before = await counters(t.app, k.restaurant.id);
    const all = everything(events, k.restaurant.id, before.lastEventSequence);
    await expect(
      events.transaction(async (tx) => {
        await tx.append(k.restaurant.id, SETTINGS);
        throw new Error('the change failed after appending');
      }),
    ).rejects.toThrow('the change failed after appending');
    expect(await counters(t.app, k.restaurant.id)).toEqual(before);
    expect(await eventCount(t.app, k.restaurant.id)).toBe(before.lastEventSequence);

    const order = await k.place();
    const [next] = await take(all, 1);
    expect(next).toMatchObject({ sequence: before.lastEventSequence + 1, subject: 'ORDER', subjectId: order.id });
    await all.return?.();
  });

  test('an event of another subject whose publish was lost is read back from the table, in order', async () => {
    const k = await setUp();
    const events = t.app.services.events;
    const { lastEventSequence: s0 } = await counters(t.app, k.restaurant.id);
    const all = everything(events, k.restaurant.id, s0);
    loseOtherSubjectsOf.add(k.restaurant.id);
    await events.transaction((tx) => tx.append(k.restaurant.id, SETTINGS));
    const order = await k.place();
    expect((await take(all, 2)).map(shape)).toEqual([
      [s0 + 1, 'RESTAURANT', 'SETTINGS_CHANGED'],
      [s0 + 2, 'ORDER', 'ORDER_CREATED'],
    ]);
    expect(order.id).toBeTruthy();
    loseOtherSubjectsOf.delete(k.restaurant.id);
    await all.return?.();
  });
});
