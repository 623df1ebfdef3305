import { createHash, randomUUID } from 'node:crypto';
import { BadUserInputError, InvalidTransitionError, NotFoundError, VersionConflictError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import { EVENT_ROW, type EventPublisher, type OrderEvent, type OrderEventKind } from './event-log.js';
import {
  idInput,
  parseInput,
  placeOrderInput,
  reasonInput,
  updateOrderInput,
  type OrderItemInput,
  type PlaceOrderInput,
  type UpdateOrderInput,
} from './order-input.js';
import { assertLegalStep, ENTERED_AT, isLive, nextStatus, previousStatus } from '../domain/order-rules.js';
import type { ItemStatus, OrderStatus } from '../domain/vocabulary.js';
import type { OrderItemSnapshot, OrderSnapshot } from '../domain/order-snapshot.js';
import { ORDER_SNAPSHOT } from './order-sql.js';
import type { Sql, SqlError } from '../db/sql.js';
import { RecentOrders, type KnownOrder } from './recent-orders.js';
import { STATIONS_DIGEST, StationCatalog } from './station-catalog.js';

const MAX_ITEMS = 100;

interface Change {
  kind: OrderEventKind;
  /** The status before the change, when the change moved it. */
  previousStatus?: OrderStatus;
}

/** An item added by this change, with the position it takes. */
interface NewItem {
  item: OrderItemSnapshot;
  position: number;
}

/** The order a change works on: the snapshot as read, plus what the change adds to it. */
interface Draft {
  order: OrderSnapshot;
  added: NewItem[];
  /**
   * The digests of the stations the draft's items were given (the order as read or remembered,
   * and any added items): the write checks that the stations still digest to each of them.
   */
  stationsDigests: string[];
  /** Whether to read stations past the catalog's copy: a write before this one found it stale. */
  freshStations: boolean;
}

/** Finds the order a change works on: by its id, or by the id of one of its items. */
type Locator = { orderId: string } | { itemId: string };

/** A change that lost its race this many times in a row gives up with VERSION_CONFLICT. */
const MAX_ATTEMPTS = 25;

/** Columns of the recordsets new items travel in as JSON. */
const NEW_ITEM_RECORD =
  'x(id uuid, position int, name text, quantity int, modifiers text[], notes text, station_id uuid)';

/** The unique key that makes placeOrder idempotent. */
const REQUEST_KEY = 'orders_restaurant_client_request_unique';

const isTakenRequestKey = (error: unknown) => (error as SqlError | null)?.constraint === REQUEST_KEY;

/**
 * Every change a POS or a kitchen makes to an order. Each is one SQL statement that writes the
 * order, its items and its kitchen event together or not at all; the event is published only
 * after that commit, and a failed change writes and publishes nothing. A change takes the order
 * as this instance last wrote it (or reads it), applies the rules in JS, and writes only if the
 * order is still at that version (else it reads again): no transaction stays open across round
 * trips. The event's snapshot is built from what was written, without reading it back.
 */
export class OrderWorkflow {
  private readonly stations: StationCatalog;
  private readonly recent = new RecentOrders();

  constructor(
    private readonly sql: Sql,
    private readonly publisher: EventPublisher,
  ) {
    this.stations = new StationCatalog(sql);
  }

  /** Reads every restaurant's stations ahead of their first orders (see StationCatalog.preload). */
  preloadStations(): Promise<void> {
    return this.stations.preload();
  }

  async placeOrder(restaurantId: string, rawInput: PlaceOrderInput): Promise<OrderSnapshot> {
    const input = parseInput(placeOrderInput, rawInput, 'input');
    const { clientRequestId, ...content } = input;
    const requestHash = createHash('sha256').update(JSON.stringify(content)).digest('hex');
    for (let attempt = 1; ; attempt++) {
      let added: NewItem[];
      let stationsDigest: string;
      try {
        ({ added, digest: stationsDigest } = await this.newItems(restaurantId, input.items, 0, 'input.items', attempt > 1));
      } catch (error) {
        // A retry answers as the first request did, whatever became of its stations since.
        const placed = await this.placedBefore(restaurantId, clientRequestId, requestHash);
        if (placed) return placed;
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
      let rows: { number: number; seq: string }[];
      try {
        // One statement takes the ticket number and the event's sequence (locking the restaurant
        // row: concurrent placeOrders queue there, so numbers never repeat and events commit in
        // sequence order), and writes the order, its items and its event, if the stations are
        // still those the items were given. A request whose key is taken (a retry, even one that
        // queued behind the first) fails on it, and the whole statement with it: nothing is spent.
        rows = await this.sql(
          `with r as (
             update restaurants set last_order_number = last_order_number + 1, last_event_sequence = last_event_sequence + 1
             where id = ? and ${STATIONS_DIGEST} = ?
             returning last_order_number as number, last_event_sequence as seq
           ), o as (
             insert into orders (id, restaurant_id, number, type, status, rush, "table", customer_name, notes, version,
                                 client_request_id, request_hash, created_at, updated_at)
             select ?::uuid, ?::uuid, r.number, ?::text, 'PENDING', ?::boolean, ?::text, ?::text, ?::text, 1,
                    ?::text, ?::text, ?::timestamptz, ?::timestamptz
             from r
             returning id, number
           ), i as (
             insert into order_items (id, order_id, position, name, quantity, modifiers, notes, station_id, status)
             select x.id, o.id, x.position, x.name, x.quantity, x.modifiers, x.notes, x.station_id, 'PENDING'
             from o, jsonb_to_recordset(?::jsonb) as ${NEW_ITEM_RECORD}
           ), e as (
             insert into ${EVENT_ROW}
             select ?::uuid, ?::uuid, r.seq, 'ORDER_CREATED', 'ORDER', o.id, null,
                    jsonb_set(?::jsonb, '{number}', to_jsonb(o.number)), ?::timestamptz
             from r, o
           )
           select o.number, r.seq from r, o`,
          [
            restaurantId,
            restaurantId,
            stationsDigest,
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
            this.itemRecords(added),
            randomUUID(),
            restaurantId,
            JSON.stringify(order),
            now,
          ],
        );
      } catch (error) {
        if (!isTakenRequestKey(error)) throw error;
        const placed = await this.placedBefore(restaurantId, clientRequestId, requestHash);
        if (placed) return placed;
        throw error;
      }
      const row = rows[0];
      if (!row) {
        // The stations changed since the catalog read them (or there is no such restaurant).
        if (attempt < MAX_ATTEMPTS) continue;
        throw new NotFoundError('Restaurant');
      }
      order.number = row.number;
      this.recent.remember(restaurantId, order, stationsDigest);
      const event = this.eventOf(restaurantId, Number(row.seq), 'ORDER_CREATED', order, null, now);
      await this.publisher.publish(event);
      return order;
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
    return this.change(restaurantId, { orderId }, expectedVersion, async (draft) => {
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
        const { added, digest } = await this.newItems(
          restaurantId,
          input.addItems,
          order.items.length,
          'input.addItems',
          draft.freshStations,
        );
        draft.added = added;
        draft.stationsDigests.push(digest);
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

  /**
   * Takes the order (remembered or read), checks its version, applies the change, and writes it
   * with its event if the order is still at that version; else reads again. Publishes after the
   * write commits.
   */
  private async change(
    restaurantId: string,
    locator: Locator,
    expectedVersion: number | null | undefined,
    apply: (draft: Draft) => Promise<Change>,
  ): Promise<OrderSnapshot> {
    const [notFound, id] =
      'orderId' in locator
        ? ['Order', parseInput(idInput, locator.orderId, 'id')]
        : ['Order item', parseInput(idInput, locator.itemId, 'itemId')];
    if (!isId(id)) throw new NotFoundError(notFound);
    const where = 'orderId' in locator ? 'o.id = ?' : 'o.id = (select order_id from order_items where id = ?)';
    for (let attempt = 1; ; attempt++) {
      let known = attempt === 1 && 'orderId' in locator ? this.recent.take(restaurantId, locator.orderId) : undefined;
      // A copy that disagrees with the caller's version may be the stale one: the table decides.
      if (known && expectedVersion != null && expectedVersion !== known.order.version) known = undefined;
      const remembered = known !== undefined;
      known ??= await this.read(restaurantId, where, id);
      if (!known) throw new NotFoundError(notFound);
      const { order } = known;
      if (expectedVersion != null && expectedVersion !== order.version) {
        throw new VersionConflictError(order.version);
      }
      if (attempt > MAX_ATTEMPTS) throw new VersionConflictError(order.version);
      const draft: Draft = { order, added: [], stationsDigests: [known.stationsDigest], freshStations: attempt > 1 };
      const statusBefore = new Map(order.items.map((item) => [item.id, item.status]));
      let change: Change;
      try {
        change = await apply(draft);
      } catch (error) {
        // Only the order as it stands may refuse a change: a remembered copy may be overtaken.
        if (!remembered) throw error;
        this.recent.forget(order.id);
        continue;
      }
      const { kind, previousStatus } = change;
      const readVersion = order.version;
      order.version += 1;
      const now = new Date().toISOString();
      order.updatedAt = now;
      const changedItems = order.items
        .filter((item) => statusBefore.has(item.id) && item.status !== statusBefore.get(item.id))
        .map((item) => ({ id: item.id, status: item.status }));
      // One statement: the order (if still at the version read, and the stations of new items as
      // they were given), its changed and new items, and its event. The items and the restaurant
      // row are written only when the order row was: a write that lost its race spends nothing.
      // The order row is locked before the restaurant row, whose sequence orders the events.
      const rows = await this.sql<{ seq: string }>(
        `with o as (
           update orders set status = ?, rush = ?, "table" = ?, customer_name = ?, notes = ?, version = ?,
                  updated_at = ?::timestamptz, started_at = ?::timestamptz, ready_at = ?::timestamptz,
                  completed_at = ?::timestamptz, cancelled_at = ?::timestamptz, cancel_reason = ?
           where id = ? and version = ? and ${STATIONS_DIGEST} = all(?::text[])
           returning id
         ), u as (
           update order_items i set status = x.status
           from o, jsonb_to_recordset(?::jsonb) as x(id uuid, status text) where i.id = x.id and i.order_id = o.id
         ), n as (
           insert into order_items (id, order_id, position, name, quantity, modifiers, notes, station_id, status)
           select x.id, o.id, x.position, x.name, x.quantity, x.modifiers, x.notes, x.station_id, 'PENDING'
           from o, jsonb_to_recordset(?::jsonb) as ${NEW_ITEM_RECORD}
         ), r as (
           update restaurants set last_event_sequence = last_event_sequence + 1 from o where restaurants.id = ?
           returning last_event_sequence as seq
         )
         insert into ${EVENT_ROW}
         select ?::uuid, ?::uuid, r.seq, ?::text, 'ORDER', ?::uuid, ?::text, ?::jsonb, ?::timestamptz from r
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
          readVersion,
          restaurantId,
          draft.stationsDigests,
          JSON.stringify(changedItems),
          this.itemRecords(draft.added),
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
      if (!rows[0]) {
        // Another change committed since the read (or the stations changed): read it and try again.
        this.recent.forget(order.id);
        continue;
      }
      this.recent.remember(restaurantId, order, draft.stationsDigests[0]!);
      const event = this.eventOf(restaurantId, Number(rows[0].seq), kind, order, previousStatus ?? null, now);
      await this.publisher.publish(event);
      return order;
    }
  }

  /** The order as it stands, with the digest of the stations its items show. */
  private async read(restaurantId: string, where: string, id: string): Promise<KnownOrder | undefined> {
    const [row] = await this.sql<OrderSnapshot & { stationsDigest: string }>(
      `select ${ORDER_SNAPSHOT}, ${STATIONS_DIGEST} as "stationsDigest" from orders o where ${where} and o.restaurant_id = ?`,
      [restaurantId, id, restaurantId],
    );
    if (!row) return undefined;
    const { stationsDigest, ...order } = row;
    return { order, stationsDigest };
  }

  /**
   * The items to add, in position order from `position`, each with its station (the first
   * non-expo one by default), and the digest of the stations they were given. A station the
   * catalog's copy does not know is looked for once more in the table before it is refused.
   */
  private async newItems(
    restaurantId: string,
    items: OrderItemInput[],
    position: number,
    path: string,
    fresh: boolean,
  ): Promise<{ added: NewItem[]; digest: string }> {
    const stations = await this.stations.of(restaurantId, fresh);
    const byId = new Map(stations.list.map((station) => [station.id, station]));
    if (!fresh && items.some((input) => input.stationId != null && !byId.has(input.stationId))) {
      return this.newItems(restaurantId, items, position, path, true);
    }
    const fallback = stations.list.find((station) => !station.expo) ?? null;
    const added = items.map((input, index): NewItem => {
      let station = fallback;
      if (input.stationId != null) {
        station = byId.get(input.stationId) ?? null;
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
    return { added, digest: stations.digest };
  }

  /** New items as the JSON recordset the inserts read. */
  private itemRecords(added: NewItem[]): string {
    return JSON.stringify(
      added.map(({ item, position }) => ({
        id: item.id,
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
   * The order a request key already names (read now, after any earlier holder of the key
   * committed), when this is a retry with the same content; another request with the key is
   * refused; null when the key names nothing.
   */
  private async placedBefore(
    restaurantId: string,
    clientRequestId: string,
    requestHash: string,
  ): Promise<OrderSnapshot | null> {
    const [existing] = await this.sql<OrderSnapshot & { requestHash: string }>(
      `select ${ORDER_SNAPSHOT}, request_hash as "requestHash" from orders o
       where o.restaurant_id = ? and o.client_request_id = ?`,
      [restaurantId, clientRequestId],
    );
    if (!existing) return null;
    const { requestHash: firstHash, ...order } = existing;
    if (firstHash !== requestHash) {
      throw new BadUserInputError('input.clientRequestId was already used for a different order', 'input.clientRequestId');
    }
    return order;
  }

  private eventOf(
    restaurantId: string,
    sequence: number,
    kind: OrderEventKind,
    order: OrderSnapshot,
    previousStatus: OrderStatus | null,
    at: string,
  ): OrderEvent {
    return { restaurantId, sequence, at, subject: 'ORDER', subjectId: order.id, kind, previousStatus, order };
  }
}
