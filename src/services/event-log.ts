import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { KitchenEvent } from '../db/entities/index.js';
import { NotFoundError } from '../domain/errors.js';
import type { OrderSnapshot } from '../domain/order-snapshot.js';
import type { EventSubject, KitchenEventKind, OrderStatus } from '../domain/vocabulary.js';
import { EVENT_ROW } from '../store/event-row.js';

/**
 * The restaurant's one event log (the outbox): every subject's events in one sequence per
 * restaurant, appended in the change's own transaction, published after it commits
 * (event-stream.ts), kept for replay until pruned.
 */

/** Where an event stands in its restaurant's log. */
interface EventPosition {
  restaurantId: string;
  sequence: number;
  at: string;
}

/** SNAPSHOT is a subscription's first item, never a stored event. */
export type OrderEventKind = Exclude<KitchenEventKind, 'SNAPSHOT'>;

/** A change of an order: its snapshot after the change rides along, so screens render it with no query. */
export interface OrderEvent extends EventPosition {
  subject: 'ORDER';
  subjectId: string;
  kind: OrderEventKind;
  previousStatus: OrderStatus | null;
  order: OrderSnapshot;
}

/** A change of any other subject: its own kinds, and the subject after the change in `payload`. */
export interface SubjectEvent extends EventPosition {
  subject: Exclude<EventSubject, 'ORDER'>;
  /** Null for the restaurant itself. */
  subjectId: string | null;
  kind: string;
  payload: unknown;
}

export type StreamEvent = OrderEvent | SubjectEvent;

type WithoutPosition<T> = T extends unknown ? Omit<T, keyof EventPosition> : never;

/** What a change appends: an event before the log gives it its place. */
export type NewEvent = WithoutPosition<StreamEvent>;

/** Where committed events go next; the live stream implements it. */
export interface EventPublisher {
  publish(event: StreamEvent): Promise<void>;
}


/**
 * Appends one event in the transaction `em` belongs to. Taking the restaurant's next sequence
 * locks its row until that transaction ends, so events commit in sequence order.
 */
export async function appendEvent(em: EntityManager, restaurantId: string, event: NewEvent): Promise<StreamEvent> {
  const at = new Date().toISOString();
  const order = event.subject === 'ORDER';
  const rows = await em.execute<{ seq: string }[]>(
    `with r as (
       update restaurants set last_event_sequence = last_event_sequence + 1 where id = ? returning last_event_sequence as seq
     )
     insert into ${EVENT_ROW}
     select ?::uuid, ?::uuid, r.seq, ?::text, ?::text, ?::uuid, ?::text, ?::jsonb, ?::timestamptz from r
     returning sequence as seq`,
    [
      restaurantId,
      randomUUID(),
      restaurantId,
      event.kind,
      event.subject,
      event.subjectId,
      order ? event.previousStatus : null,
      JSON.stringify(order ? event.order : event.payload),
      at,
    ],
  );
  if (!rows[0]) throw new NotFoundError('Restaurant');
  return { ...event, restaurantId, sequence: Number(rows[0].seq), at } as StreamEvent;
}

export function toRecord(restaurantId: string, row: KitchenEvent): StreamEvent {
  const position = { restaurantId, sequence: row.sequence, at: row.createdAt.toISOString() };
  if (row.subject === 'ORDER') {
    return {
      ...position,
      subject: 'ORDER',
      subjectId: row.subjectId!,
      kind: row.kind as OrderEventKind,
      previousStatus: row.previousStatus,
      order: row.payload as OrderSnapshot,
    };
  }
  return { ...position, subject: row.subject, subjectId: row.subjectId, kind: row.kind, payload: row.payload };
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
): Promise<StreamEvent[]> {
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
