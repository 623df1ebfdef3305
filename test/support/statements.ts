import type { EntityManager } from '@mikro-orm/postgresql';
import pg from 'pg';
import type { App } from '../../src/app.js';

/** Every statement the app sends to PostgreSQL, counted at the drivers: the ORM's pool and the write path's. */
export function countStatements(app: App): { readonly count: number; stop(): void } {
  const knex = (app.orm.em as EntityManager).getKnex();
  let count = 0;
  const listener = () => count++;
  knex.on('query', listener);
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    count++;
    return (query as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  return {
    get count() {
      return count;
    },
    stop: () => {
      knex.removeListener('query', listener);
      pg.Client.prototype.query = query;
    },
  };
}
