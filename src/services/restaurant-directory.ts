import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Restaurant, Station } from '../db/entities/index.js';
import { BadUserInputError, NotFoundError } from '../domain/errors.js';
import { isId } from '../domain/ids.js';
import type { StationSnapshot } from '../domain/order-snapshot.js';
import { isSlug, MAX_RESTAURANT_NAME, MAX_STATION_NAME, slugify } from './restaurant-names.js';

export interface RestaurantSummary {
  id: string;
  name: string;
  slug: string;
  stations: StationSnapshot[];
}

export interface StationInput {
  name: string;
  expo: boolean;
}

function summaryOf(restaurant: Restaurant): RestaurantSummary {
  return {
    id: restaurant.id,
    name: restaurant.name,
    slug: restaurant.slug,
    stations: restaurant.stations.getItems().map(({ id, name, expo }) => ({ id, name, expo })),
  };
}

/** Restaurants and their stations: provisioning (the CLI, the demo seed) and lookups. */
export class RestaurantDirectory {
  constructor(private readonly orm: MikroORM) {}

  async create(input: { name: string; slug?: string; stations: StationInput[] }): Promise<RestaurantSummary> {
    const name = input.name.trim();
    if (!name || name.length > MAX_RESTAURANT_NAME) {
      throw new BadUserInputError(`name must be 1 to ${MAX_RESTAURANT_NAME} characters`, 'name');
    }
    const slug = input.slug ?? slugify(name);
    if (!isSlug(slug)) {
      throw new BadUserInputError('slug must be lowercase letters, digits and single dashes', 'slug');
    }
    this.checkStations(input.stations);
    return this.em().transactional(async (em) => {
      if (await em.count(Restaurant, { slug })) throw new BadUserInputError(`slug "${slug}" is taken`, 'slug');
      const restaurant = em.create(Restaurant, { name, slug });
      input.stations.forEach((station, position) => em.create(Station, { ...station, restaurant, position }));
      await em.flush();
      return summaryOf(restaurant);
    });
  }

  async list(): Promise<RestaurantSummary[]> {
    const restaurants = await this.em().find(Restaurant, {}, { populate: ['stations'], orderBy: { name: 'asc' } });
    return restaurants.map(summaryOf);
  }

  /** By id or slug. */
  async find(idOrSlug: string): Promise<RestaurantSummary | null> {
    const restaurant = await this.em().findOne(Restaurant, isId(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug }, {
      populate: ['stations'],
    });
    return restaurant ? summaryOf(restaurant) : null;
  }

  async exists(id: string): Promise<boolean> {
    return isId(id) && (await this.em().count(Restaurant, { id })) > 0;
  }

  async addStation(idOrSlug: string, station: StationInput): Promise<StationSnapshot> {
    this.checkStations([station]);
    return this.em().transactional(async (em) => {
      const restaurant = await em.findOne(Restaurant, isId(idOrSlug) ? { id: idOrSlug } : { slug: idOrSlug }, {
        populate: ['stations'],
      });
      if (!restaurant) throw new NotFoundError('Restaurant');
      if (restaurant.stations.getItems().some((s) => s.name === station.name)) {
        throw new BadUserInputError(`station "${station.name}" exists already`, 'name');
      }
      const expo = restaurant.stations.getItems().find((s) => s.expo);
      if (station.expo && expo) {
        throw new BadUserInputError(`the restaurant has its expo station already ("${expo.name}"): one per restaurant`, 'expo');
      }
      const created = em.create(Station, { ...station, restaurant, position: restaurant.stations.length });
      await em.flush();
      return { id: created.id, name: created.name, expo: created.expo };
    });
  }

  /** One station of the restaurant, or null for an id that names none of its stations. */
  async station(restaurantId: string, stationId: string): Promise<StationSnapshot | null> {
    if (!isId(stationId)) return null;
    const station = await this.em().findOne(Station, { id: stationId, restaurant: restaurantId });
    return station ? { id: station.id, name: station.name, expo: station.expo } : null;
  }

  private checkStations(stations: StationInput[]): void {
    const names = new Set<string>();
    for (const station of stations) {
      const name = station.name.trim();
      if (!name || name.length > MAX_STATION_NAME) {
        throw new BadUserInputError(`station names must be 1 to ${MAX_STATION_NAME} characters`, 'stations');
      }
      if (names.has(name)) throw new BadUserInputError(`station "${name}" is named twice`, 'stations');
      names.add(name);
    }
    if (stations.filter((station) => station.expo).length > 1) {
      throw new BadUserInputError('a restaurant has one expo station at most', 'stations');
    }
  }

  private em(): EntityManager {
    return this.orm.em.fork() as EntityManager;
  }
}
