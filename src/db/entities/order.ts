import { OptionalProps, Collection, EntitySchema } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ORDER_STATUSES, ORDER_TYPES, type OrderStatus, type OrderType } from '../../domain/vocabulary.js';
import { OrderItem } from './order-item.js';
import { Restaurant } from './restaurant.js';

export class Order {
  [OptionalProps]?: 'type' | 'status' | 'rush' | 'table' | 'customerName' | 'notes' | 'version' | 'createdAt' | 'updatedAt' | 'startedAt' | 'readyAt' | 'completedAt' | 'cancelledAt' | 'cancelReason';
  id: string = randomUUID();
  restaurant!: Restaurant;
  number!: number;
  type: OrderType = 'DINE_IN';
  status: OrderStatus = 'PENDING';
  rush = false;
  table: string | null = null;
  customerName: string | null = null;
  notes: string | null = null;
  version = 1;
  /** The POS's idempotency key, unique within the restaurant. */
  clientRequestId!: string;
  /** A digest of the placeOrder input, to tell a retry from a reuse of the key. */
  requestHash!: string;
  items = new Collection<OrderItem>(this);
  createdAt: Date = new Date();
  updatedAt: Date = new Date();
  startedAt: Date | null = null;
  readyAt: Date | null = null;
  completedAt: Date | null = null;
  cancelledAt: Date | null = null;
  cancelReason: string | null = null;
}

export const OrderSchema = new EntitySchema<Order>({
  class: Order,
  tableName: 'orders',
  uniques: [
    { name: 'orders_restaurant_number_unique', properties: ['restaurant', 'number'] },
    { name: 'orders_restaurant_client_request_unique', properties: ['restaurant', 'clientRequestId'] },
  ],
  indexes: [
    {
      name: 'orders_live_queue_index',
      expression:
        "create index orders_live_queue_index on orders (restaurant_id, rush desc, created_at, number) where status in ('PENDING', 'PREPARING', 'READY')",
    },
    { name: 'orders_restaurant_status_number_index', properties: ['restaurant', 'status', 'number'] },
  ],
  properties: {
    id: { type: 'uuid', primary: true },
    restaurant: { kind: 'm:1', entity: () => Restaurant, deleteRule: 'cascade' },
    number: { type: 'integer' },
    type: { enum: true, items: () => [...ORDER_TYPES] },
    status: { enum: true, items: () => [...ORDER_STATUSES] },
    rush: { type: 'boolean', default: false },
    table: { type: 'string', length: 100, nullable: true },
    customerName: { type: 'string', length: 100, nullable: true },
    notes: { type: 'string', length: 500, nullable: true },
    version: { type: 'integer', default: 1 },
    clientRequestId: { type: 'string', length: 100 },
    requestHash: { type: 'string', length: 64 },
    items: { kind: '1:m', entity: () => OrderItem, mappedBy: 'order', orderBy: { position: 'asc' } },
    createdAt: { type: 'datetime', length: 3 },
    updatedAt: { type: 'datetime', length: 3 },
    startedAt: { type: 'datetime', length: 3, nullable: true },
    readyAt: { type: 'datetime', length: 3, nullable: true },
    completedAt: { type: 'datetime', length: 3, nullable: true },
    cancelledAt: { type: 'datetime', length: 3, nullable: true },
    cancelReason: { type: 'string', length: 500, nullable: true },
  },
});
