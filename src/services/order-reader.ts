import { BadUserInputError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import { LIVE_STATUSES } from '../domain/order-rules.js';
import type { OrderStatus } from '../domain/vocabulary.js';
import { concernsStation, type OrderSnapshot, type StationSnapshot } from '../domain/order-snapshot.js';
import { ORDER_SNAPSHOT } from './order-sql.js';
import type { Sql } from '../db/sql.js';

export interface OrderPage {
  orders: OrderSnapshot[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

const PAGE_DEFAULT = 20;
const PAGE_MAX = 100;
const CURSOR_PREFIX = 'order:';

export const orderCursor = (order: OrderSnapshot): string =>
  Buffer.from(`${CURSOR_PREFIX}${order.number}`).toString('base64url');

function cursorNumber(cursor: string): number {
  const decoded = Buffer.from(cursor, 'base64url').toString();
  const number = decoded.startsWith(CURSOR_PREFIX) ? Number(decoded.slice(CURSOR_PREFIX.length)) : NaN;
  if (!Number.isSafeInteger(number) || number < 1) throw new BadUserInputError('after is not a cursor of orders', 'after');
  return number;
}

/** The live queue and the event sequence it reflects, read in one statement: one snapshot. */
export interface QueueSnapshot {
  sequence: number;
  orders: OrderSnapshot[];
}

/** What screens and POS terminals read: always within the caller's restaurant. */
export class OrderReader {
  constructor(private readonly sql: Sql) {}

  async order(restaurantId: string, orderId: string): Promise<OrderSnapshot | null> {
    if (!isId(orderId)) return null;
    const [order] = await this.sql<OrderSnapshot>(
      `select ${ORDER_SNAPSHOT} from orders o where o.id = ? and o.restaurant_id = ?`,
      [orderId, restaurantId],
    );
    return order ?? null;
  }

  /** The live queue, rush first, then oldest first; with a station, the orders that concern it. */
  async kitchenQueue(restaurantId: string, station?: StationSnapshot | null): Promise<OrderSnapshot[]> {
    return (await this.queueSnapshot(restaurantId, station))?.orders ?? [];
  }

  /** `kitchenQueue` with the sequence of the last event it reflects; null for no such restaurant. */
  async queueSnapshot(restaurantId: string, station?: StationSnapshot | null): Promise<QueueSnapshot | null> {
    // "createdAt" is the ISO text of a UTC millisecond timestamp: it sorts as the timestamp does.
    const [row] = await this.sql<{ seq: string; orders: OrderSnapshot[] }>(
      `select r.last_event_sequence as seq,
              coalesce((select json_agg(q order by q.rush desc, q."createdAt", q.number)
                        from (select ${ORDER_SNAPSHOT} from orders o
                              where o.restaurant_id = r.id and o.status = any(?::text[])) q), '[]') as orders
       from restaurants r where r.id = ?`,
      [LIVE_STATUSES, restaurantId],
    );
    if (!row) return null;
    const orders = station ? row.orders.filter((order) => concernsStation(order, station)) : row.orders;
    return { sequence: Number(row.seq), orders };
  }

  /** History, newest first, paged by ticket number. */
  async orders(
    restaurantId: string,
    args: { status?: OrderStatus[] | null; first?: number | null; after?: string | null },
  ): Promise<OrderPage> {
    const first = args.first ?? PAGE_DEFAULT;
    if (!Number.isInteger(first) || first < 1 || first > PAGE_MAX) {
      throw new BadUserInputError(`first must be 1 to ${PAGE_MAX}`, 'first');
    }
    const before = args.after ? cursorNumber(args.after) : undefined;
    const statuses = args.status?.length ? args.status : null;
    const orders = await this.sql<OrderSnapshot>(
      `select ${ORDER_SNAPSHOT} from orders o
       where o.restaurant_id = ? and (?::text[] is null or o.status = any(?::text[])) and (?::int is null or o.number < ?::int)
       order by o.number desc limit ?`,
      [restaurantId, statuses, statuses, before ?? null, before ?? null, first + 1],
    );
    return {
      orders: orders.slice(0, first),
      hasNextPage: orders.length > first,
      hasPreviousPage: before !== undefined,
    };
  }
}
