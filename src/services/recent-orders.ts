import { BoundedMap } from '../lib/bounded-map.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';

/** An order as this instance last wrote it, and the digest of the stations its items were checked against. */
export interface KnownOrder {
  order: OrderSnapshot;
  stationsDigest: string;
}

const CAPACITY = 5_000;

/**
 * The orders this instance changed last, as it wrote them. A change starts from here instead of
 * reading the order back; its write still applies only if the order is at this version and the
 * stations are unchanged, so a copy that another instance has overtaken costs one retry from the
 * table, never a wrong write. A busy kitchen bumps what it placed moments ago.
 */
export class RecentOrders {
  private readonly byId = new BoundedMap<string, KnownOrder & { restaurantId: string }>(CAPACITY);

  remember(restaurantId: string, order: OrderSnapshot, stationsDigest: string): void {
    this.byId.remember(order.id, { restaurantId, order, stationsDigest });
  }

  /** A copy the caller may change (its items too): the remembered snapshot went out in an event. */
  take(restaurantId: string, orderId: string): KnownOrder | undefined {
    const known = this.byId.get(orderId);
    if (!known || known.restaurantId !== restaurantId) return undefined;
    const { order, stationsDigest } = known;
    return { order: { ...order, items: order.items.map((item) => ({ ...item })) }, stationsDigest };
  }

  forget(orderId: string): void {
    this.byId.delete(orderId);
  }
}
