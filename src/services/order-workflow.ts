import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createHash, randomUUID } from 'node:crypto';
import { BadUserInputError, InvalidTransitionError, NotFoundError, VersionConflictError } from './errors.js';
import { isId } from './ids.js';
import type { KitchenEventPublisher, KitchenEventRecord } from './kitchen-event-log.js';
import {
  parseInput,
  placeOrderInput,
  reasonInput,
  updateOrderInput,
  type OrderItemInput,
  type PlaceOrderInput,
  type UpdateOrderInput,
} from './order-input.js';
import {
  assertLegalStep,
  ENTERED_AT,
  isLive,
  nextStatus,
  previousStatus,
  type ItemStatus,
  type OrderStatus,
} from './order-rules.js';
import type { OrderItemSnapshot, OrderSnapshot, StationSnapshot } from './order-snapshot.js';

const MAX_ITEMS = 100;

interface Change {
  kind: KitchenEventRecord['kind'];
  /** The status before the change, when the change moved it. */
  previousStatus?: OrderStatus;
}

/** A retry of a placeOrder that already committed: leaves the transaction without writing. */
class AlreadyPlaced {
  constructor(readonly order: OrderSnapshot) {}
}

/** An item added by this change, with the position it takes. */
interface NewItem {
  item: OrderItemSnapshot;
  position: number;
}

/** The order a change works on: the snapshot as loaded, plus what the change adds to it. */
interface Draft {
  order: OrderSnapshot;
  added: NewItem[];
}

/** Finds the order a change locks: by its id, or by the id of one of its items. */
type Locator = { orderId: string } | { itemId: string };

/** Timestamps as OrderSnapshot writes them (`Date#toISOString`), straight from PostgreSQL. */
const isoOf = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const ORDER_COLUMNS = [
  'id',
  'number',
  'type',
  'status',
  'rush',
  '"table"',
  'customer_name as "customerName"',
  'notes',
  'version',
  `${isoOf('created_at')} as "createdAt"`,
  `${isoOf('updated_at')} as "updatedAt"`,
  `${isoOf('started_at')} as "startedAt"`,
  `${isoOf('ready_at')} as "readyAt"`,
  `${isoOf('completed_at')} as "completedAt"`,
  `${isoOf('cancelled_at')} as "cancelledAt"`,
  'cancel_reason as "cancelReason"',
].join(', ');

/** Columns of the recordsets new items travel in as JSON. */
const NEW_ITEM_RECORD =
  'x(id uuid, position int, name text, quantity int, modifiers text[], notes text, station_id uuid)';

/**
 * Every change a POS or a kitchen makes to an order. Each runs in one transaction that locks the
 * order row, applies the rules, and appends one kitchen event; the event is published only
 * after the commit, and a failed change writes and publishes nothing. The writes are plain SQL:
 * the rules run in JS on the order's snapshot, and the snapshot the event carries is built from
 * what was written, without reading it back.
 */
export class OrderWorkflow {
  constructor(
    private readonly orm: MikroORM,
    private readonly publisher: KitchenEventPublisher,
  ) {}

  async placeOrder(restaurantId: string, rawInput: PlaceOrderInput): Promise<OrderSnapshot> {
    const input = parseInput(placeOrderInput, rawInput, 'input');
    const { clientRequestId, ...content } = input;
    const requestHash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    try {
      const event = await this.em().transactional(async (em) => {
        let added: NewItem[];
        try {
          added = this.newItems(input.items, await this.stationsOf(em, restaurantId), 0, 'input.items');
        } catch (error) {
          // A retry answers as the first request did, whatever became of its stations since.
          await this.refuseRetry(em, restaurantId, clientRequestId, requestHash);
          throw error;
        }
        const now = new Date().toISOString();
        const order: OrderSnapshot = {
          id: randomUUID(),
          number: 0,
          type: input.type,
          status: 'PENDING',
          rush: input.rush ?? false,
          table: input.table ?? null,
          customerName: input.customerName ?? null,
          notes: input.notes ?? null,
          version: 1,
          createdAt: now,
          updatedAt: now,
          startedAt: null,
          readyAt: null,
          completedAt: null,
          cancelledAt: null,
          cancelReason: null,
          items: added.map(({ item }) => item),
        };
        const eventId = randomUUID();
        // One statement takes the ticket number and the event's sequence (locking the restaurant
        // row: concurrent placeOrders queue there, so numbers never repeat and events commit in
        // sequence order), and writes the order, its items and its event. A retry that queued
        // behind the first request finds its key taken, writes nothing, and rolls the counters back.
        const rows = await em.execute<{ number: number; seq: string; order_id: string | null }[]>(
          `with r as (
             update restaurants set last_order_number = last_order_number + 1, last_event_sequence = last_event_sequence + 1
             where id = ? returning last_order_number as number, last_event_sequence as seq
           ), o as (
             insert into orders (id, restaurant_id, number, type, status, rush, "table", customer_name, notes, version,
                                 client_request_id, request_hash, created_at, updated_at)
             select ?::uuid, ?::uuid, r.number, ?::text, 'PENDING', ?::boolean, ?::text, ?::text, ?::text, 1,
                    ?::text, ?::text, ?::timestamptz, ?::timestamptz
             from r
             on conflict (restaurant_id, client_request_id) do nothing
             returning id, number
           ), i as (
             insert into order_items (id, order_id, position, name, quantity, modifiers, notes, station_id, status)
             select x.id, o.id, x.position, x.name, x.quantity, x.modifiers, x.notes, x.station_id, 'PENDING'
             from o, jsonb_to_recordset(?::jsonb) as ${NEW_ITEM_RECORD}
           ), e as (
             insert into kitchen_events (id, restaurant_id, sequence, kind, order_id, previous_status, payload, created_at)
             select ?::uuid, ?::uuid, r.seq, 'ORDER_CREATED', o.id, null,
                    jsonb_set(?::jsonb, '{number}', to_jsonb(o.number)), ?::timestamptz
             from r, o
           )
           select r.number, r.seq, o.id as order_id from r left join o on true`,
          [
            restaurantId,
            order.id,
            restaurantId,
            order.type,
            order.rush,
            order.table,
            order.customerName,
            order.notes,
            clientRequestId,
            requestHash,
            now,
            now,
            this.itemRecords(order.id, added),
            eventId,
            restaurantId,
            JSON.stringify(order),
            now,
          ],
        );
        const row = rows[0];
        if (!row) throw new NotFoundError('Restaurant');
        if (row.order_id === null) {
          // The key is taken: by a retry of the same request (which leaves with the first order) or not.
          await this.refuseRetry(em, restaurantId, clientRequestId, requestHash);
          throw new Error('clientRequestId conflicted, yet names no order');
        }
        order.number = row.number;
        return this.eventOf(restaurantId, Number(row.seq), 'ORDER_CREATED', order, null, now);
      });
      await this.publisher.publish(event);
      return event.order;
    } catch (error) {
      if (error instanceof AlreadyPlaced) return error.order;
      throw error;
    }
  }

  updateOrder(
    restaurantId: string,
    orderId: string,
    rawInput: UpdateOrderInput,
    expectedVersion?: number | null,
  ): Promise<OrderSnapshot> {
    const input = parseInput(updateOrderInput, rawInput, 'input');
    if (Object.values(input).every((value) => value === undefined)) {
      throw new BadUserInputError('input names nothing to change', 'input');
    }
    return this.change(restaurantId, { orderId }, expectedVersion, async (draft, em) => {
      const { order } = draft;
      if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
      if (input.table !== undefined) order.table = input.table;
      if (input.customerName !== undefined) order.customerName = input.customerName;
      if (input.notes !== undefined) order.notes = input.notes;
      for (const itemId of input.voidItemIds ?? []) {
        const item = order.items.find((i) => i.id === itemId);
        if (!item) throw new NotFoundError('Order item');
        if (item.status === 'VOIDED') throw new InvalidTransitionError('VOIDED', 'VOIDED');
        item.status = 'VOIDED';
      }
      if (input.addItems?.length) {
        if (order.items.length + input.addItems.length > MAX_ITEMS) {
          throw new BadUserInputError(`an order has at most ${MAX_ITEMS} items`, 'input.addItems');
        }
        const stations = await this.stationsOf(em, restaurantId);
        draft.added = this.newItems(input.addItems, stations, order.items.length, 'input.addItems');
        order.items.push(...draft.added.map(({ item }) => item));
      }
      if (!order.items.some((item) => item.status !== 'VOIDED')) {
        throw new BadUserInputError('an order must keep at least one item that is not voided', 'input.voidItemIds');
      }
      const before = order.status;
      this.followItems(order);
      return { kind: 'ORDER_UPDATED', previousStatus: order.status !== before ? before : undefined };
    });
  }

  bumpOrder(restaurantId: string, orderId: string, expectedVersion?: number | null) {
    return this.step(restaurantId, orderId, expectedVersion, nextStatus);
  }

  recallOrder(restaurantId: string, orderId: string, expectedVersion?: number | null) {
    return this.step(restaurantId, orderId, expectedVersion, previousStatus);
  }

  setOrderStatus(restaurantId: string, orderId: string, status: OrderStatus, expectedVersion?: number | null) {
    return this.step(restaurantId, orderId, expectedVersion, () => status);
  }

  cancelOrder(restaurantId: string, orderId: string, reason?: string | null, expectedVersion?: number | null) {
    const cancelReason = parseInput(reasonInput, reason, 'reason') ?? null;
    return this.step(restaurantId, orderId, expectedVersion, () => 'CANCELLED', (order) => {
      order.cancelReason = cancelReason;
    });
  }

  setOrderRush(restaurantId: string, orderId: string, rush: boolean): Promise<OrderSnapshot> {
    return this.change(restaurantId, { orderId }, null, async ({ order }) => {
      if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
      order.rush = rush;
      return { kind: 'ORDER_UPDATED' };
    });
  }

  setItemStatus(restaurantId: string, itemId: string, status: ItemStatus): Promise<OrderSnapshot> {
    return this.change(restaurantId, { itemId }, null, async ({ order }) => {
      const item = order.items.find((i) => i.id === itemId)!;
      if (!isLive(order.status)) throw new InvalidTransitionError(order.status, order.status);
      // Voiding is the POS's call (updateOrder); a station moves items along the line only.
      if (item.status === 'VOIDED' || status === 'VOIDED' || item.status === status) {
        throw new InvalidTransitionError(item.status, status);
      }
      item.status = status;
      const before = order.status;
      this.followItems(order);
      return { kind: 'ITEM_STATUS_CHANGED', previousStatus: order.status !== before ? before : undefined };
    });
  }

  /** One status step of the whole order. */
  private step(
    restaurantId: string,
    orderId: string,
    expectedVersion: number | null | undefined,
    target: (from: OrderStatus) => OrderStatus | undefined,
    alsoChange?: (order: OrderSnapshot) => void,
  ): Promise<OrderSnapshot> {
    return this.change(restaurantId, { orderId }, expectedVersion, async ({ order }) => {
      const from = order.status;
      const to = assertLegalStep(from, target(from));
      this.enter(order, to);
      // The expo's bump marks the whole ticket done: its items follow.
      if (to === 'READY') {
        for (const item of order.items) if (item.status === 'PENDING' || item.status === 'PREPARING') item.status = 'READY';
      }
      alsoChange?.(order);
      return { kind: 'ORDER_STATUS_CHANGED', previousStatus: from };
    });
  }

  /** The item rules: the first item started starts the order; all items ready makes it ready. */
  private followItems(order: OrderSnapshot): void {
    const live = order.items.filter((item) => item.status !== 'VOIDED');
    if (live.every((item) => item.status === 'READY')) {
      if (order.status === 'PENDING' || order.status === 'PREPARING') this.enter(order, 'READY');
    } else if (live.some((item) => item.status !== 'PENDING')) {
      if (order.status === 'PENDING' || order.status === 'READY') this.enter(order, 'PREPARING');
    } else if (order.status === 'READY') {
      this.enter(order, 'PREPARING');
    }
  }

  private enter(order: OrderSnapshot, status: OrderStatus): void {
    order.status = status;
    const stamp = ENTERED_AT[status];
    if (stamp) order[stamp] = new Date().toISOString();
  }

  /** Locks the order, checks its version, applies the change and appends its event; publishes after commit. */
  private async change(
    restaurantId: string,
    locator: Locator,
    expectedVersion: number | null | undefined,
    apply: (draft: Draft, em: EntityManager) => Promise<Change>,
  ): Promise<OrderSnapshot> {
    const notFound = 'orderId' in locator ? 'Order' : 'Order item';
    const id = 'orderId' in locator ? locator.orderId : locator.itemId;
    if (!isId(id)) throw new NotFoundError(notFound);
    const event = await this.em().transactional(async (em) => {
      // The order row first; items only change under their order's lock, so the next statement
      // reads them as they stand.
      const orders = await em.execute<Omit<OrderSnapshot, 'items'>[]>(
        `select ${ORDER_COLUMNS} from orders
         where id = ${'orderId' in locator ? '?' : '(select order_id from order_items where id = ?)'} and restaurant_id = ?
         for update`,
        [id, restaurantId],
      );
      const loaded = orders[0];
      if (!loaded) throw new NotFoundError(notFound);
      if (expectedVersion != null && expectedVersion !== loaded.version) {
        throw new VersionConflictError(loaded.version);
      }
      const items = await this.itemsOf(em, loaded.id);
      const draft: Draft = { order: { ...loaded, items }, added: [] };
      const { order } = draft;
      const statusBefore = new Map(items.map((item) => [item.id, item.status]));
      const { kind, previousStatus } = await apply(draft, em);
      order.version += 1;
      const now = new Date().toISOString();
      order.updatedAt = now;
      const changedItems = items
        .filter((item) => item.status !== statusBefore.get(item.id))
        .map((item) => ({ id: item.id, status: item.status }));
      // One statement writes the order, its changed and new items, and its event; the restaurant
      // row, locked last, orders the events.
      const rows = await em.execute<{ seq: string }[]>(
        `with o as (
           update orders set status = ?, rush = ?, "table" = ?, customer_name = ?, notes = ?, version = ?,
                  updated_at = ?::timestamptz, started_at = ?::timestamptz, ready_at = ?::timestamptz,
                  completed_at = ?::timestamptz, cancelled_at = ?::timestamptz, cancel_reason = ?
           where id = ?
         ), u as (
           update order_items i set status = x.status
           from jsonb_to_recordset(?::jsonb) as x(id uuid, status text) where i.id = x.id
         ), n as (
           insert into order_items (id, order_id, position, name, quantity, modifiers, notes, station_id, status)
           select x.id, ?::uuid, x.position, x.name, x.quantity, x.modifiers, x.notes, x.station_id, 'PENDING'
           from jsonb_to_recordset(?::jsonb) as ${NEW_ITEM_RECORD}
         ), r as (
           update restaurants set last_event_sequence = last_event_sequence + 1 where id = ?
           returning last_event_sequence as seq
         )
         insert into kitchen_events (id, restaurant_id, sequence, kind, order_id, previous_status, payload, created_at)
         select ?::uuid, ?::uuid, r.seq, ?::text, ?::uuid, ?::text, ?::jsonb, ?::timestamptz from r
         returning sequence as seq`,
        [
          order.status,
          order.rush,
          order.table,
          order.customerName,
          order.notes,
          order.version,
          order.updatedAt,
          order.startedAt,
          order.readyAt,
          order.completedAt,
          order.cancelledAt,
          order.cancelReason,
          order.id,
          JSON.stringify(changedItems),
          order.id,
          this.itemRecords(order.id, draft.added),
          restaurantId,
          randomUUID(),
          restaurantId,
          kind,
          order.id,
          previousStatus ?? null,
          JSON.stringify(order),
          now,
        ],
      );
      if (!rows[0]) throw new NotFoundError('Restaurant');
      return this.eventOf(restaurantId, Number(rows[0].seq), kind, order, previousStatus ?? null, now);
    });
    await this.publisher.publish(event);
    return event.order;
  }

  /** The items to add, in position order from `position`, each with its station (the first non-expo one by default). */
  private newItems(items: OrderItemInput[], stations: StationSnapshot[], position: number, path: string): NewItem[] {
    const fallback = stations.find((station) => !station.expo) ?? null;
    return items.map((input, index) => {
      let station = fallback;
      if (input.stationId != null) {
        station = stations.find((s) => s.id === input.stationId) ?? null;
        if (!station) throw new NotFoundError(`Station of ${path}.${index}`);
      }
      return {
        position: position + index,
        item: {
          id: randomUUID(),
          name: input.name,
          quantity: input.quantity,
          modifiers: input.modifiers ?? [],
          notes: input.notes ?? null,
          station: station && { id: station.id, name: station.name, expo: station.expo },
          status: 'PENDING',
        },
      };
    });
  }

  /** New items as the JSON recordset the inserts read. */
  private itemRecords(orderId: string, added: NewItem[]): string {
    return JSON.stringify(
      added.map(({ item, position }) => ({
        id: item.id,
        order_id: orderId,
        position,
        name: item.name,
        quantity: item.quantity,
        modifiers: item.modifiers,
        notes: item.notes,
        station_id: item.station?.id ?? null,
      })),
    );
  }

  /**
   * When the key already names an order (read now, after any earlier holder of the key committed):
   * a retry with the same content leaves with that order, another request with the key is refused.
   */
  private async refuseRetry(em: EntityManager, restaurantId: string, clientRequestId: string, requestHash: string) {
    const rows = await em.execute<{ id: string; request_hash: string }[]>(
      'select id, request_hash from orders where restaurant_id = ? and client_request_id = ?',
      [restaurantId, clientRequestId],
    );
    const existing = rows[0];
    if (!existing) return;
    if (existing.request_hash !== requestHash) {
      throw new BadUserInputError('input.clientRequestId was already used for a different order', 'input.clientRequestId');
    }
    throw new AlreadyPlaced(await this.readOrder(em, existing.id));
  }

  private async readOrder(em: EntityManager, orderId: string): Promise<OrderSnapshot> {
    const [order] = await em.execute<Omit<OrderSnapshot, 'items'>[]>(`select ${ORDER_COLUMNS} from orders where id = ?`, [
      orderId,
    ]);
    const items = await this.itemsOf(em, orderId);
    return { ...order!, items };
  }

  private itemsOf(em: EntityManager, orderId: string): Promise<OrderItemSnapshot[]> {
    return em.execute<OrderItemSnapshot[]>(
      `select i.id, i.name, i.quantity, i.modifiers, i.notes,
              case when s.id is null then null else json_build_object('id', s.id, 'name', s.name, 'expo', s.expo) end as station,
              i.status
       from order_items i left join stations s on s.id = i.station_id
       where i.order_id = ? order by i.position`,
      [orderId],
    );
  }

  private eventOf(
    restaurantId: string,
    sequence: number,
    kind: KitchenEventRecord['kind'],
    order: OrderSnapshot,
    previousStatus: OrderStatus | null,
    at: string,
  ): KitchenEventRecord {
    return { restaurantId, sequence, kind, previousStatus, order, at };
  }

  private stationsOf(em: EntityManager, restaurantId: string): Promise<StationSnapshot[]> {
    return em.execute<StationSnapshot[]>(
      'select id, name, expo from stations where restaurant_id = ? order by position',
      [restaurantId],
    );
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }
}
