import type { Sql } from '../db/sql.js';

/**
 * A statement with named parameters (`:name`, outside quoted text; `::type` casts are left
 * alone), compiled once into the `?` text the pool prepares once per connection. A name may be
 * used many times; each use is its own `?`, as if written out.
 */
export function statement<P extends object, R extends object = Record<string, never>>(text: string) {
  const names: string[] = [];
  const compiled = text.replace(/'(?:[^']|'')*'|(?<!:):([A-Za-z]\w*)/g, (match, name: string | undefined) => {
    if (!name) return match;
    names.push(name);
    return '?';
  });
  return (sql: Sql, params: P): Promise<R[]> => {
    const values = names.map((name) => {
      if (!(name in params)) throw new Error(`statement parameter :${name} is missing`);
      return (params as Record<string, unknown>)[name];
    });
    return sql<R>(compiled, values);
  };
}
