import pg from 'pg';
import type { Sql } from '../services/sql.js';

/**
 * The hot path's statements (order changes, order reads, screens' snapshots), on a `pg` pool of
 * their own: each is prepared once per connection under a name (PostgreSQL parses and plans the
 * large statements once, not per order) and sent with its parameters, with none of the ORM's
 * per-query work.
 */
export function createSqlPool(
  connectionString: string,
  onIdleError: (error: Error) => void,
  max = 20,
): { sql: Sql; close(): Promise<void> } {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client's error (the server went away) must not crash the process; the pool drops it.
  pool.on('error', onIdleError);
  const prepared = new Map<string, pg.QueryConfig>();
  const sql: Sql = async <T extends object>(query: string, params: readonly unknown[] = []) => {
    let statement = prepared.get(query);
    if (!statement) {
      let n = 0;
      statement = { name: `kds_${prepared.size + 1}`, text: query.replace(/\?/g, () => `$${++n}`) };
      prepared.set(query, statement);
    }
    const result = await pool.query<T & pg.QueryResultRow>({ ...statement, values: [...params] });
    return result.rows;
  };
  return { sql, close: () => pool.end() };
}
