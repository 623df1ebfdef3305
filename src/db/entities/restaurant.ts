import { OptionalProps, BigIntType, Collection, EntitySchema } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Station } from './station.js';

export class Restaurant {
  [OptionalProps]?: 'lastOrderNumber' | 'lastEventSequence' | 'createdAt';
  id: string = randomUUID();
  name!: string;
  slug!: string;
  /** The last ticket number handed out; bumped under the row lock, so numbers never repeat. */
  lastOrderNumber = 0;
  /** The last kitchen event sequence; bumped under the same lock, so events commit in sequence order. */
  lastEventSequence = 0;
  stations = new Collection<Station>(this);
  createdAt: Date = new Date();
}

export const RestaurantSchema = new EntitySchema<Restaurant>({
  class: Restaurant,
  tableName: 'restaurants',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string', length: 200 },
    slug: { type: 'string', length: 100, unique: true },
    lastOrderNumber: { type: 'integer', default: 0 },
    lastEventSequence: { type: new BigIntType('number'), default: 0 },
    stations: { kind: '1:m', entity: () => Station, mappedBy: 'restaurant', orderBy: { position: 'asc' } },
    createdAt: { type: 'datetime', defaultRaw: 'now()' },
  },
});
