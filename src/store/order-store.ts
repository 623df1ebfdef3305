import { randomUUID } from 'node:crypto';
import type { Sql, SqlError } from '../db/sql.js';
import { isId } from '../domain/ids.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';
import type { EventToAppend } from '../domain/order-transitions.js';
import type { OrderStatus } from '../domain/vocabulary.js';
import { EVENT_ROW } from './event-row.js';
import { INSERTED_COLUMNS, INSERTED_VALUES, ORDER_SNAPSHOT, UPDATED_COLUMNS } from './order-columns.js';
import { statement } from './statement.js';
import { STATIONS_DIGEST } from './station-catalog.js';

/**
 * Every read and write of orders. Writes are one statement each (bench/RESULTS.md, "the
 * plain-SQL write path"): the order, its items and its kitchen event together or not at all, so
 * no transaction stays open across round trips; a write applies only if the order is still at
 * the version read and the stations are those its items were given, and else writes nothing.
 */

/** An order as read or last written, and the digest of the stations its items were checked against. */
export interface KnownOrder {
  order: OrderSnapshot;
  stationsDigest: string;
}

/** Finds an order: by its id, or by the id of one of its items. */
export type Locator = { orderId: string } | { itemId: string };

/** The unique key that makes placeOrder idempotent. */
const REQUEST_KEY = 'orders_restaurant_client_request_unique';

/** Whether a write failed on a request key that another order holds. */
export const isTakenRequestKey = (error: unknown) => (error as SqlError | null)?.constraint === REQUEST_KEY;

/** A write's new items (`:newItems`, a JSON recordset) into `order_items`, for the order `o` written. */
const INSERT_NEW_ITEMS = `insert into order_items (id, order_id, position, name, quantity, modifiers, notes, station_id, status)
  select x.id, o.id, x.position, x.name, x.quantity, x.modifiers, x.notes, x.station_id, 'PENDING'
  from o, jsonb_to_recordset(:newItems::jsonb)
    as x(id uuid, position int, name text, quantity int, modifiers text[], notes text, station_id uuid)`;

/** A write's kitchen event, with the sequence `r.seq` taken from the restaurant row, for the order `o`. */
const appendEvent = (payload: string) => `insert into ${EVENT_ROW}
  select :eventId::uuid, :restaurantId::uuid, r.seq, :kind::text, 'ORDER', o.id, :previousStatus::text, ${payload}, :at::timestamptz
  from r, o`;

interface EventParams {
  restaurantId: string;
  eventId: string;
  kind: EventToAppend['kind'];
  previousStatus: OrderStatus | null;
  /** The order as the event carries it (JSON). */
  payload: string;
  at: string;
}

type Written = OrderSnapshot & EventParams & { newItems: string };

// One statement takes the ticket number and the event's sequence (locking the restaurant row:
// concurrent placeOrders queue there, so numbers never repeat and events commit in sequence
// order), and writes the order, its items and its event, if the stations are still those the
// items were given. A request whose key is taken (a retry, even one that queued behind the
// first) fails on it, and the whole statement with it: nothing is spent.
const insertOrder = statement<Written & { clientRequestId: string; requestHash: string; stationsDigest: string }, { number: number; seq: string }>(
  `with r as (
     update restaurants set last_order_number = last_order_number + 1, last_event_sequence = last_event_sequence + 1
     where id = :restaurantId and ${STATIONS_DIGEST} = :stationsDigest
     returning last_order_number as number, last_event_sequence as seq
   ), o as (
     insert into orders (id, restaurant_id, number, client_request_id, request_hash, ${INSERTED_COLUMNS})
     select :id::uuid, :restaurantId::uuid, r.number, :clientRequestId::text, :requestHash::text, ${INSERTED_VALUES}
     from r
     returning id, number
   ), i as (${INSERT_NEW_ITEMS}
   ), e as (${appendEvent(`jsonb_set(:payload::jsonb, '{number}', to_jsonb(o.number))`)}
   )
   select o.number, r.seq from r, o`,
);

// One statement: the order (if still at the version read, and the stations of new items as they
// were given), its changed and new items, and its event. The items and the restaurant row are
// written only when the order row was: a write that lost its race spends nothing. The order row
// is locked before the restaurant row, whose sequence orders the events.
const updateOrder = statement<Written & { readVersion: number; stationsDigests: string[]; changedItems: string }, { seq: string }>(
  `with o as (
     update orders set ${UPDATED_COLUMNS}
     where id = :id and version = :readVersion and ${STATIONS_DIGEST} = all(:stationsDigests::text[])
     returning id
   ), u as (
     update order_items i set status = x.status
     from o, jsonb_to_recordset(:changedItems::jsonb) as x(id uuid, status text) where i.id = x.id and i.order_id = o.id
   ), n as (${INSERT_NEW_ITEMS}
   ), r as (
     update restaurants set last_event_sequence = last_event_sequence + 1 from o where restaurants.id = :restaurantId
     returning last_event_sequence as seq
   )
   ${appendEvent(':payload::jsonb')}
   returning sequence as seq`,
);

const SNAPSHOT_WITH_DIGEST = `select ${ORDER_SNAPSHOT}, ${STATIONS_DIGEST} as "stationsDigest" from orders o`;
type WithDigest = OrderSnapshot & { stationsDigest: string };
const readById = statement<{ id: string; restaurantId: string }, WithDigest>(
  `${SNAPSHOT_WITH_DIGEST} where o.id = :id and o.restaurant_id = :restaurantId`,
);
const readByItem = statement<{ id: string; restaurantId: string }, WithDigest>(
  `${SNAPSHOT_WITH_DIGEST} where o.id = (select order_id from order_items where id = :id) and o.restaurant_id = :restaurantId`,
);

const readByRequestKey = statement<{ restaurantId: string; clientRequestId: string }, OrderSnapshot & { requestHash: string }>(
  `select ${ORDER_SNAPSHOT}, request_hash as "requestHash" from orders o
   where o.restaurant_id = :restaurantId and o.client_request_id = :clientRequestId`,
);

const readOne = statement<{ id: string; restaurantId: string }, OrderSnapshot>(
  `select ${ORDER_SNAPSHOT} from orders o where o.id = :id and o.restaurant_id = :restaurantId`,
);

// "createdAt" is the ISO text of a UTC millisecond timestamp: it sorts as the timestamp does.
const readQueue = statement<{ restaurantId: string; statuses: readonly OrderStatus[] }, { seq: string; orders: OrderSnapshot[] }>(
  `select r.last_event_sequence as seq,
          coalesce((select json_agg(q order by q.rush desc, q."createdAt", q.number)
                    from (select ${ORDER_SNAPSHOT} from orders o
                          where o.restaurant_id = r.id and o.status = any(:statuses::text[])) q), '[]') as orders
   from restaurants r where r.id = :restaurantId`,
);

const readHistory = statement<{ restaurantId: string; statuses: OrderStatus[] | null; before: number | null; limit: number }, OrderSnapshot>(
  `select ${ORDER_SNAPSHOT} from orders o
   where o.restaurant_id = :restaurantId and (:statuses::text[] is null or o.status = any(:statuses::text[]))
     and (:before::int is null or o.number < :before::int)
   order by o.number desc limit :limit`,
);

/** The items of `after` that `before` did not have, as the JSON recordset INSERT_NEW_ITEMS reads: position is place in the list. */
function newItemRecords(after: OrderSnapshot, before?: OrderSnapshot): string {
  const known = new Set(before?.items.map((item) => item.id));
  const records = [];
  for (const [position, item] of after.items.entries()) {
    if (known.has(item.id)) continue;
    const { id, name, quantity, modifiers, notes } = item;
    records.push({ id, position, name, quantity, modifiers, notes, station_id: item.station?.id ?? null });
  }
  return JSON.stringify(records);
}

function eventParams(restaurantId: string, order: OrderSnapshot, event: EventToAppend, at: string): EventParams {
  return { restaurantId, eventId: randomUUID(), ...event, payload: JSON.stringify(order), at };
}

/**
 * A statement's parameters are one object, made with Object.assign: an object literal of several
 * spreads made lookups by name ~15x slower (17 against 1.2 us per write, measured in isolation).
 */
export class OrderStore {
  constructor(private readonly sql: Sql) {}

  /** Writes a new order; its number and its event's sequence, or undefined if the stations changed (or no such restaurant). */
  async insert(
    restaurantId: string,
    change: { order: OrderSnapshot; event: EventToAppend },
    request: { clientRequestId: string; requestHash: string; stationsDigest: string },
  ): Promise<{ number: number; sequence: number } | undefined> {
    const { order, event } = change;
    const [row] = await insertOrder(
      this.sql,
      Object.assign({}, order, eventParams(restaurantId, order, event, order.createdAt), request, { newItems: newItemRecords(order) }),
    );
    return row && { number: row.number, sequence: Number(row.seq) };
  }

  /** Writes `after` over `before`; its event's sequence, or undefined if the order or the stations changed since. */
  async update(
    restaurantId: string,
    before: OrderSnapshot,
    change: { order: OrderSnapshot; event: EventToAppend },
    stationsDigests: string[],
  ): Promise<number | undefined> {
    const { order, event } = change;
    const was = new Map(before.items.map((item) => [item.id, item.status]));
    const changedItems = order.items
      .filter((item) => was.has(item.id) && was.get(item.id) !== item.status)
      .map(({ id, status }) => ({ id, status }));
    const [row] = await updateOrder(
      this.sql,
      Object.assign({}, order, eventParams(restaurantId, order, event, order.updatedAt), {
        readVersion: before.version,
        stationsDigests,
        changedItems: JSON.stringify(changedItems),
        newItems: newItemRecords(order, before),
      }),
    );
    return row && Number(row.seq);
  }

  /** The order as it stands, with the digest of the stations its items show. */
  async find(restaurantId: string, locator: Locator): Promise<KnownOrder | undefined> {
    const [row] =
      'orderId' in locator
        ? await readById(this.sql, { id: locator.orderId, restaurantId })
        : await readByItem(this.sql, { id: locator.itemId, restaurantId });
    if (!row) return undefined;
    const { stationsDigest, ...order } = row;
    return { order, stationsDigest };
  }

  /** The order a request key names, with the digest of the request that placed it. */
  async byRequestKey(restaurantId: string, clientRequestId: string): Promise<{ order: OrderSnapshot; requestHash: string } | undefined> {
    const [row] = await readByRequestKey(this.sql, { restaurantId, clientRequestId });
    if (!row) return undefined;
    const { requestHash, ...order } = row;
    return { order, requestHash };
  }

  async one(restaurantId: string, orderId: string): Promise<OrderSnapshot | null> {
    if (!isId(orderId)) return null;
    const [order] = await readOne(this.sql, { id: orderId, restaurantId });
    return order ?? null;
  }

  /** The orders in `statuses` (rush first, then oldest first) and the event sequence they reflect, in one statement; null for no such restaurant. */
  async queue(restaurantId: string, statuses: readonly OrderStatus[]): Promise<{ sequence: number; orders: OrderSnapshot[] } | null> {
    const [row] = await readQueue(this.sql, { restaurantId, statuses });
    return row ? { sequence: Number(row.seq), orders: row.orders } : null;
  }

  /** Newest first, numbered below `before`. */
  history(restaurantId: string, statuses: OrderStatus[] | null, before: number | null, limit: number): Promise<OrderSnapshot[]> {
    return readHistory(this.sql, { restaurantId, statuses, before, limit });
  }
}
