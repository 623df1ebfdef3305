import type { App } from '../../src/app.js';

/** Direct reads of the test database, to check what a request did (or did not) write. */

/** How many kitchen_events rows the restaurant has. */
export async function eventCount(app: App, restaurantId: string): Promise<number> {
  const rows = await app.orm.em
    .getConnection()
    .execute<{ n: number }[]>('select count(*)::int as n from kitchen_events where restaurant_id = ?', [restaurantId]);
  return rows[0]!.n;
}

export interface EventRow {
  sequence: number;
  kind: string;
  orderId: string;
  previousStatus: string | null;
}

/** The restaurant's kitchen_events rows, in sequence order. */
export async function events(app: App, restaurantId: string): Promise<EventRow[]> {
  const rows = await app.orm.em.getConnection().execute<
    { sequence: string; kind: string; subject_id: string; previous_status: string | null }[]
  >('select sequence, kind, subject_id, previous_status from kitchen_events where restaurant_id = ? order by sequence', [
    restaurantId,
  ]);
  return rows.map((row) => ({
    sequence: Number(row.sequence),
    kind: row.kind,
    orderId: row.subject_id,
    previousStatus: row.previous_status,
  }));
}

/** The restaurant's counters: the last ticket number and the last event sequence handed out. */
export async function counters(app: App, restaurantId: string): Promise<{ lastOrderNumber: number; lastEventSequence: number }> {
  const rows = await app.orm.em
    .getConnection()
    .execute<{ n: number; s: string }[]>(
      'select last_order_number as n, last_event_sequence as s from restaurants where id = ?',
      [restaurantId],
    );
  return { lastOrderNumber: rows[0]!.n, lastEventSequence: Number(rows[0]!.s) };
}

/** How many orders the restaurant has. */
export async function orderCount(app: App, restaurantId: string): Promise<number> {
  const rows = await app.orm.em
    .getConnection()
    .execute<{ n: number }[]>('select count(*)::int as n from orders where restaurant_id = ?', [restaurantId]);
  return rows[0]!.n;
}
