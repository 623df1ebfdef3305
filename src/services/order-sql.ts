/**
 * How an order is read: as its snapshot, in one statement, so every reader (a change, the queue,
 * history, a screen's SNAPSHOT) sees the same JSON the kitchen events carry.
 */

/** Timestamps as OrderSnapshot writes them (`Date#toISOString`), straight from PostgreSQL. */
const isoOf = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** An order as its snapshot, items (with their stations) included, from `orders o`. */
export const ORDER_SNAPSHOT = [
  'o.id',
  'o.number',
  'o.type',
  'o.status',
  'o.rush',
  'o."table"',
  'o.customer_name as "customerName"',
  'o.notes',
  'o.version',
  `${isoOf('o.created_at')} as "createdAt"`,
  `${isoOf('o.updated_at')} as "updatedAt"`,
  `${isoOf('o.started_at')} as "startedAt"`,
  `${isoOf('o.ready_at')} as "readyAt"`,
  `${isoOf('o.completed_at')} as "completedAt"`,
  `${isoOf('o.cancelled_at')} as "cancelledAt"`,
  'o.cancel_reason as "cancelReason"',
  `coalesce((
     select json_agg(json_build_object(
              'id', i.id, 'name', i.name, 'quantity', i.quantity, 'modifiers', i.modifiers, 'notes', i.notes,
              'station', case when s.id is null then null else json_build_object('id', s.id, 'name', s.name, 'expo', s.expo) end,
              'status', i.status) order by i.position)
     from order_items i left join stations s on s.id = i.station_id
     where i.order_id = o.id), '[]') as items`,
].join(', ');
