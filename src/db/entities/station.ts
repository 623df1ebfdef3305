import { OptionalProps, EntitySchema } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { Restaurant } from './restaurant.js';

export class Station {
  [OptionalProps]?: 'expo' | 'position';
  id: string = randomUUID();
  restaurant!: Restaurant;
  name!: string;
  /** The expo station sees every item of every order. */
  expo = false;
  position = 0;
}

export const StationSchema = new EntitySchema<Station>({
  class: Station,
  tableName: 'stations',
  uniques: [{ properties: ['restaurant', 'name'] }],
  properties: {
    id: { type: 'uuid', primary: true },
    restaurant: { kind: 'm:1', entity: () => Restaurant, deleteRule: 'cascade' },
    name: { type: 'string', length: 100 },
    expo: { type: 'boolean', default: false },
    position: { type: 'integer', default: 0 },
  },
});
