import type { OrderSnapshot } from '../domain/order-snapshot.js';

/**
 * The columns of `orders` that an OrderSnapshot carries (besides id, number and items), as the
 * store reads, inserts and updates them: a new column of the order is one line here (with its
 * entity property and its migration). Each field is also the statements' parameter name.
 */
const COLUMNS: { field: keyof OrderSnapshot; column: string; type: 'text' | 'boolean' | 'int' | 'timestamptz'; fixed?: true }[] = [
  { field: 'type', column: 'type', type: 'text', fixed: true },
  { field: 'status', column: 'status', type: 'text' },
  { field: 'rush', column: 'rush', type: 'boolean' },
  { field: 'table', column: '"table"', type: 'text' },
  { field: 'customerName', column: 'customer_name', type: 'text' },
  { field: 'notes', column: 'notes', type: 'text' },
  { field: 'version', column: 'version', type: 'int' },
  { field: 'createdAt', column: 'created_at', type: 'timestamptz', fixed: true },
  { field: 'updatedAt', column: 'updated_at', type: 'timestamptz' },
  { field: 'startedAt', column: 'started_at', type: 'timestamptz' },
  { field: 'readyAt', column: 'ready_at', type: 'timestamptz' },
  { field: 'completedAt', column: 'completed_at', type: 'timestamptz' },
  { field: 'cancelledAt', column: 'cancelled_at', type: 'timestamptz' },
  { field: 'cancelReason', column: 'cancel_reason', type: 'text' },
];

/** Timestamps as OrderSnapshot writes them (`Date#toISOString`), straight from PostgreSQL. */
const isoOf = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

const valueOf = ({ field, type }: (typeof COLUMNS)[number]) => `:${field}::${type}`;

/**
 * An order as its snapshot, items (with their stations) included, from `orders o`: the one
 * mapping from rows to orders, so every reader (a change, the queue, history, a screen's
 * SNAPSHOT) sees the same JSON the kitchen events carry.
 */
export const ORDER_SNAPSHOT = [
  'o.id',
  'o.number',
  ...COLUMNS.map(({ field, column, type }) =>
    type === 'timestamptz' ? `${isoOf(`o.${column}`)} as "${field}"` : column === field ? `o.${column}` : `o.${column} as "${field}"`,
  ),
  `coalesce((
     select json_agg(json_build_object(
              'id', i.id, 'name', i.name, 'quantity', i.quantity, 'modifiers', i.modifiers, 'notes', i.notes,
              'station', case when s.id is null then null else json_build_object('id', s.id, 'name', s.name, 'expo', s.expo) end,
              'status', i.status) order by i.position)
     from order_items i left join stations s on s.id = i.station_id
     where i.order_id = o.id), '[]') as items`,
].join(', ');

/** `orders` columns and values of a new order, from its snapshot's fields. */
export const INSERTED_COLUMNS = COLUMNS.map(({ column }) => column).join(', ');
export const INSERTED_VALUES = COLUMNS.map(valueOf).join(', ');

/** What a change writes of an order: every column but those fixed at its creation. */
export const UPDATED_COLUMNS = COLUMNS.filter(({ fixed }) => !fixed)
  .map((c) => `${c.column} = ${valueOf(c)}`)
  .join(', ');
