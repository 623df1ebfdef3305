/** The table and columns every insert of an event lists, in this order (the order store's writes and the event log's). */
export const EVENT_ROW =
  'kitchen_events (id, restaurant_id, sequence, kind, subject, subject_id, previous_status, payload, created_at)';
