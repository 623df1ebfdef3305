import { OptionalProps, ArrayType, EntitySchema } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ITEM_STATUSES, type ItemStatus } from '../../domain/vocabulary.js';
import { Order } from './order.js';
import { Station } from './station.js';

export class OrderItem {
  [OptionalProps]?: 'position' | 'quantity' | 'modifiers' | 'notes' | 'station' | 'status';
  id: string = randomUUID();
  order!: Order;
  /** Keeps items in the order the POS sent them. */
  position = 0;
  name!: string;
  quantity = 1;
  modifiers: string[] = [];
  notes: string | null = null;
  station: Station | null = null;
  status: ItemStatus = 'PENDING';
}

export const OrderItemSchema = new EntitySchema<OrderItem>({
  class: OrderItem,
  tableName: 'order_items',
  properties: {
    id: { type: 'uuid', primary: true },
    order: { kind: 'm:1', entity: () => Order, deleteRule: 'cascade', index: true },
    position: { type: 'integer', default: 0 },
    name: { type: 'string', length: 200 },
    quantity: { type: 'integer' },
    modifiers: { type: ArrayType, columnType: 'text[]', default: '{}' },
    notes: { type: 'string', length: 500, nullable: true },
    station: { kind: 'm:1', entity: () => Station, nullable: true, deleteRule: 'set null' },
    status: { enum: true, items: () => [...ITEM_STATUSES] },
  },
});
