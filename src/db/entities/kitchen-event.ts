import { OptionalProps, BigIntType, EntitySchema } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { OrderSnapshot } from '../../domain/order-snapshot.js';
import { KITCHEN_EVENT_KINDS, ORDER_STATUSES, type KitchenEventKind, type OrderStatus } from '../../domain/vocabulary.js';
import { Order } from './order.js';
import { Restaurant } from './restaurant.js';

/** One row of a restaurant's append-only stream: what kitchen screens replay after a disconnect. */
export class KitchenEvent {
  [OptionalProps]?: 'previousStatus' | 'createdAt';
  id: string = randomUUID();
  restaurant!: Restaurant;
  sequence!: number;
  kind!: KitchenEventKind;
  order!: Order;
  previousStatus: OrderStatus | null = null;
  /** The order as it stood after the change, so delivering the event needs no query. */
  payload!: OrderSnapshot;
  createdAt: Date = new Date();
}

export const KitchenEventSchema = new EntitySchema<KitchenEvent>({
  class: KitchenEvent,
  tableName: 'kitchen_events',
  uniques: [{ name: 'kitchen_events_restaurant_sequence_unique', properties: ['restaurant', 'sequence'] }],
  indexes: [{ name: 'kitchen_events_created_at_index', properties: ['createdAt'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    restaurant: { kind: 'm:1', entity: () => Restaurant, deleteRule: 'cascade' },
    sequence: { type: new BigIntType('number') },
    kind: { enum: true, items: () => [...KITCHEN_EVENT_KINDS] },
    order: { kind: 'm:1', entity: () => Order, deleteRule: 'cascade', index: true },
    previousStatus: { enum: true, items: () => [...ORDER_STATUSES], nullable: true },
    payload: { type: 'json' },
    createdAt: { type: 'datetime', length: 3 },
  },
});
