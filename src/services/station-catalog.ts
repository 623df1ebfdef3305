import { BoundedMap } from './bounded-map.js';
import type { StationSnapshot } from './order-snapshot.js';
import type { Sql } from './sql.js';

export interface Stations {
  list: StationSnapshot[];
  /** What `STATIONS_DIGEST` gave for `list` when it was read. */
  digest: string;
}

/**
 * `STATIONS_DIGEST` of a restaurant (the one `?`): a write that took its stations from the
 * catalog compares this with the digest it was given, in its own statement, so a stale copy
 * never reaches a row: the write does nothing and is tried again with fresh stations.
 */
export const STATIONS_DIGEST = `(select md5(coalesce(string_agg(s.id::text || '/' || s.expo::text || '/' || s.name, ',' order by s.position, s.id), ''))
   from stations s where s.restaurant_id = ?)`;

const MAX_RESTAURANTS = 10_000;

/**
 * Each restaurant's stations as last read. Every order names or defaults to a station, so
 * reading them for each order would be a statement per order for rows that almost never change.
 */
export class StationCatalog {
  private readonly byRestaurant = new BoundedMap<string, Stations>(MAX_RESTAURANTS);

  constructor(private readonly sql: Sql) {}

  /** Ordered by position; `fresh` reads past the copy (after a digest mismatch, or to be sure). */
  async of(restaurantId: string, fresh = false): Promise<Stations> {
    const known = this.byRestaurant.get(restaurantId);
    if (known && !fresh) return known;
    const [row] = await this.sql<{ list: StationSnapshot[]; digest: string }>(
      `select coalesce((select json_agg(json_build_object('id', s.id, 'name', s.name, 'expo', s.expo) order by s.position, s.id)
                        from stations s where s.restaurant_id = ?), '[]') as list,
              ${STATIONS_DIGEST} as digest`,
      [restaurantId, restaurantId],
    );
    this.byRestaurant.remember(restaurantId, row!);
    return row!;
  }
}
