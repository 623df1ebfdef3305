import { OptionalProps, BigIntType, EntitySchema } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { EVENT_SUBJECTS, ORDER_STATUSES, type EventSubject, type OrderStatus } from '../../domain/vocabulary.js';
import { Restaurant } from './restaurant.js';

/**
 * One row of a restaurant's append-only stream, whatever it is about: every subject shares the
 * restaurant's one sequence, which is what screens resume from after a disconnect.
 */
export class KitchenEvent {
  [OptionalProps]?: 'subjectId' | 'previousStatus' | 'createdAt';
  id: string = randomUUID();
  restaurant!: Restaurant;
  sequence!: number;
  /** The subject's own vocabulary (KITCHEN_EVENT_KINDS for orders): not one list for all, so a new stream's kinds need no migration. */
  kind!: string;
  subject!: EventSubject;
  /** The order, table, session or notification the event is about; null for the restaurant itself. */
  subjectId: string | null = null;
  /** Set on an order's status changes. */
  previousStatus: OrderStatus | null = null;
  /** The subject as it stood after the change, so delivering the event needs no query. */
  payload!: unknown;
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
    kind: { type: 'string', length: 64 },
    subject: { enum: true, items: () => [...EVENT_SUBJECTS] },
    subjectId: { type: 'uuid', nullable: true },
    previousStatus: { enum: true, items: () => [...ORDER_STATUSES], nullable: true },
    payload: { type: 'json' },
    createdAt: { type: 'datetime', length: 3 },
  },
});
