import type { EntityManager } from '@mikro-orm/postgresql';
import { KitchenEvent, Order, Restaurant } from '../db/entities/index.js';
import { NotFoundError } from './errors.js';
import type { KitchenEventKind, OrderStatus } from './order-rules.js';
import type { OrderSnapshot } from './order-snapshot.js';

/** One committed change of one order: what the stream carries and the table keeps for replay. */
export interface KitchenEventRecord {
  restaurantId: string;
  sequence: number;
  kind: Exclude<KitchenEventKind, 'SNAPSHOT'>;
  previousStatus: OrderStatus | null;
  order: OrderSnapshot;
  at: string;
}

/** Where committed events go next; the live stream implements it. */
export interface KitchenEventPublisher {
  publish(event: KitchenEventRecord): Promise<void>;
}

export const noPublisher: KitchenEventPublisher = { publish: async () => {} };

/**
 * Takes the next sequence number under the restaurant's row lock, inside the caller's transaction.
 * The lock is held until commit, so a restaurant's events commit in sequence order.
 */
export async function nextSequence(em: EntityManager, restaurantId: string): Promise<number> {
  const rows = await em.execute<{ seq: string }[]>(
    'update restaurants set last_event_sequence = last_event_sequence + 1 where id = ? returning last_event_sequence as seq',
    [restaurantId],
  );
  if (!rows[0]) throw new NotFoundError('Restaurant');
  return Number(rows[0].seq);
}

/**
 * Adds the event with a sequence already taken (under the restaurant row lock, in this
 * transaction) to the caller's unit of work: it is written by the caller's next flush, together
 * with the change it records.
 */
export function recordEvent(
  em: EntityManager,
  restaurantId: string,
  sequence: number,
  kind: KitchenEventRecord['kind'],
  order: OrderSnapshot,
  previousStatus: OrderStatus | null = null,
): KitchenEventRecord {
  const event = em.create(KitchenEvent, {
    restaurant: em.getReference(Restaurant, restaurantId),
    sequence,
    kind,
    order: em.getReference(Order, order.id),
    previousStatus,
    payload: order,
    createdAt: new Date(),
  });
  return toRecord(restaurantId, event);
}

export function toRecord(restaurantId: string, event: KitchenEvent): KitchenEventRecord {
  return {
    restaurantId,
    sequence: event.sequence,
    kind: event.kind as KitchenEventRecord['kind'],
    previousStatus: event.previousStatus,
    order: event.payload,
    at: event.createdAt.toISOString(),
  };
}

export async function currentSequence(em: EntityManager, restaurantId: string): Promise<number | null> {
  const rows = await em.execute<{ seq: string }[]>('select last_event_sequence as seq from restaurants where id = ?', [
    restaurantId,
  ]);
  return rows[0] ? Number(rows[0].seq) : null;
}

/** Committed events after `after`, in sequence order. */
export async function eventsAfter(
  em: EntityManager,
  restaurantId: string,
  after: number,
  limit: number,
): Promise<KitchenEventRecord[]> {
  const rows = await em.find(
    KitchenEvent,
    { restaurant: restaurantId, sequence: { $gt: after } },
    { orderBy: { sequence: 'asc' }, limit },
  );
  return rows.map((row) => toRecord(restaurantId, row));
}

/** Drops events older than the retention; returns how many went. */
export async function pruneEvents(em: EntityManager, olderThan: Date): Promise<number> {
  return em.nativeDelete(KitchenEvent, { createdAt: { $lt: olderThan } });
}
