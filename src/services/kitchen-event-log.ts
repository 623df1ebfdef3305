import type { EntityManager } from '@mikro-orm/postgresql';
import { KitchenEvent } from '../db/entities/index.js';
import type { KitchenEventKind, OrderStatus } from '../domain/vocabulary.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';

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
