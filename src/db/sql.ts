import type { MikroORM } from '@mikro-orm/core';
import type { Sql } from '../services/sql.js';

/** Statements on the ORM's pool, each on its own: the write path's SQL port. */
export const sqlOf =
  (orm: MikroORM): Sql =>
  (query, params = []) =>
    orm.em.getConnection().execute(query, [...params]);
