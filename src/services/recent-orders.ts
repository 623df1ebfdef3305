import { BoundedMap } from '../lib/bounded-map.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';
import type { KnownOrder } from '../store/order-store.js';

const CAPACITY = 5_000;

/**
 * The orders this instance changed last, as it wrote them. A change starts from here instead of
 * reading the order back; its write still applies only if the order is at this version and the
 * stations are unchanged, so a copy that another instance has overtaken costs one retry from the
 * table, never a wrong write. A busy kitchen bumps what it placed moments ago. Transitions never
 * change the order they are given, so the copy is shared, not copied.
 */
export class RecentOrders {
  private readonly byId = new BoundedMap<string, KnownOrder & { restaurantId: string }>(CAPACITY);

  remember(restaurantId: string, order: OrderSnapshot, stationsDigest: string): void {
    this.byId.remember(order.id, { restaurantId, order, stationsDigest });
  }

  take(restaurantId: string, orderId: string): KnownOrder | undefined {
    const known = this.byId.get(orderId);
    return known && known.restaurantId === restaurantId ? known : undefined;
  }

  forget(orderId: string): void {
    this.byId.delete(orderId);
  }
}
