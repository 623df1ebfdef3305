import pg from 'pg';

/**
 * Runs one SQL statement, with `?` placeholders, on its own (autocommitted) and returns its rows.
 * The write path is plain statements whose atomicity is the statement's: no transaction held
 * open across round trips.
 */
export type Sql = <T extends object>(query: string, params?: readonly unknown[]) => Promise<T[]>;

/** What a failed statement throws: PostgreSQL's error fields. */
export interface SqlError extends Error {
  code?: string;
  /** The constraint a violation names. */
  constraint?: string;
}

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
