import type { Sql } from '../db/sql.js';
import type { StationSnapshot } from '../domain/order-snapshot.js';
import { BoundedMap } from '../lib/bounded-map.js';
import { statement } from './statement.js';

export interface Stations {
  list: StationSnapshot[];
  /** What `STATIONS_DIGEST` gave for `list` when it was read. */
  digest: string;
}

/** The digest of a group of stations `s` (what STATIONS_DIGEST and the preload compute). */
const DIGEST_OF_STATIONS = `md5(coalesce(string_agg(s.id::text || '/' || s.expo::text || '/' || s.name, ',' order by s.position, s.id), ''))`;

/** The stations of a group `s` as the catalog keeps them, in position order. */
const LIST_OF_STATIONS = `json_agg(json_build_object('id', s.id, 'name', s.name, 'expo', s.expo) order by s.position, s.id)`;

/**
 * `STATIONS_DIGEST` of the restaurant `:restaurantId`: a write that took its stations from the
 * catalog compares this with the digest it was given, in its own statement, so a stale copy
 * never reaches a row: the write does nothing and is tried again with fresh stations.
 */
export const STATIONS_DIGEST = `(select ${DIGEST_OF_STATIONS} from stations s where s.restaurant_id = :restaurantId)`;

const MAX_RESTAURANTS = 10_000;

const readStations = statement<{ restaurantId: string }, Stations>(
  `select coalesce((select ${LIST_OF_STATIONS} from stations s where s.restaurant_id = :restaurantId), '[]') as list,
          ${STATIONS_DIGEST} as digest`,
);

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
    const [row] = await readStations(this.sql, { restaurantId });
    this.byRestaurant.remember(restaurantId, row!);
    return row!;
  }

  /**
   * The stations to give `items`: the catalog's copy, or the table's when the copy does not know
   * a station one of them names (it may be new), or when `fresh`.
   */
  async forItems(restaurantId: string, items: readonly { stationId?: string | null }[], fresh: boolean): Promise<Stations> {
    const stations = await this.of(restaurantId, fresh);
    if (fresh || items.every(({ stationId }) => stationId == null || stations.list.some((s) => s.id === stationId))) {
      return stations;
    }
    return this.of(restaurantId, true);
  }

  /**
   * Every restaurant's stations in one statement (up to the catalog's capacity), so that an
   * instance that starts in a rush does not spend a statement, and its first order a round trip,
   * per restaurant. Restaurants past the capacity, or created later, are read on their first order.
   */
  async preload(): Promise<void> {
    const rows = await this.sql<Stations & { restaurantId: string }>(
      `select s.restaurant_id as "restaurantId", ${LIST_OF_STATIONS} as list, ${DIGEST_OF_STATIONS} as digest
         from stations s group by s.restaurant_id limit ${MAX_RESTAURANTS}`,
    );
    for (const { restaurantId, list, digest } of rows) this.byRestaurant.remember(restaurantId, { list, digest });
  }
}
