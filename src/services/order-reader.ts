import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Order } from '../db/entities/index.js';
import { BadUserInputError } from './errors.js';
import { isId } from './ids.js';
import { LIVE_STATUSES, type OrderStatus } from './order-rules.js';
import { concernsStation, snapshotOf, type OrderSnapshot, type StationSnapshot } from './order-snapshot.js';

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

/** What screens and POS terminals read: always within the caller's restaurant. */
export class OrderReader {
  constructor(private readonly orm: MikroORM) {}

  async order(restaurantId: string, orderId: string): Promise<OrderSnapshot | null> {
    if (!isId(orderId)) return null;
    const order = await this.em().findOne(
      Order,
      { id: orderId, restaurant: restaurantId },
      { populate: ['items.station'] },
    );
    return order ? snapshotOf(order) : null;
  }

  /** The live queue, rush first, then oldest first; with a station, the orders that concern it. */
  async kitchenQueue(restaurantId: string, station?: StationSnapshot | null, em = this.em()): Promise<OrderSnapshot[]> {
    const orders = await em.find(
      Order,
      { restaurant: restaurantId, status: { $in: [...LIVE_STATUSES] } },
      { populate: ['items.station'], orderBy: { rush: 'desc', createdAt: 'asc', number: 'asc' } },
    );
    const snapshots = orders.map(snapshotOf);
    return station ? snapshots.filter((order) => concernsStation(order, station)) : snapshots;
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
    const orders = await this.em().find(
      Order,
      {
        restaurant: restaurantId,
        ...(args.status?.length ? { status: { $in: args.status } } : {}),
        ...(before !== undefined ? { number: { $lt: before } } : {}),
      },
      { populate: ['items.station'], orderBy: { number: 'desc' }, limit: first + 1, strategy: 'select-in' },
    );
    return {
      orders: orders.slice(0, first).map(snapshotOf),
      hasNextPage: orders.length > first,
      hasPreviousPage: before !== undefined,
    };
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }
}
