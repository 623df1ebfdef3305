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
