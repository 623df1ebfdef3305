import type { Sql } from '../db/sql.js';
import { BadUserInputError } from '../domain/errors.js';
import { LIVE_STATUSES } from '../domain/order-rules.js';
import { concernsStation, type OrderSnapshot, type StationSnapshot } from '../domain/order-snapshot.js';
import type { OrderStatus } from '../domain/vocabulary.js';
import { OrderStore } from '../store/order-store.js';

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
  private readonly store: OrderStore;

  constructor(sql: Sql) {
    this.store = new OrderStore(sql);
  }

  order(restaurantId: string, orderId: string): Promise<OrderSnapshot | null> {
    return this.store.one(restaurantId, orderId);
  }

  /** The live queue, rush first, then oldest first; with a station, the orders that concern it. */
  async kitchenQueue(restaurantId: string, station?: StationSnapshot | null): Promise<OrderSnapshot[]> {
    return (await this.queueSnapshot(restaurantId, station))?.orders ?? [];
  }

  /** `kitchenQueue` with the sequence of the last event it reflects; null for no such restaurant. */
  async queueSnapshot(restaurantId: string, station?: StationSnapshot | null): Promise<QueueSnapshot | null> {
    const queue = await this.store.queue(restaurantId, LIVE_STATUSES);
    if (!queue || !station) return queue;
    return { sequence: queue.sequence, orders: queue.orders.filter((order) => concernsStation(order, station)) };
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
    const orders = await this.store.history(restaurantId, statuses, before ?? null, first + 1);
    return {
      orders: orders.slice(0, first),
      hasNextPage: orders.length > first,
      hasPreviousPage: before !== undefined,
    };
  }
}
