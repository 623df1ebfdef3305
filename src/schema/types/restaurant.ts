import type { RestaurantSummary } from '../../services/restaurant-directory.js';
import type { StationSnapshot } from '../../domain/order-snapshot.js';
import { builder } from '../builder.js';

export const StationRef = builder.objectRef<StationSnapshot>('Station').implement({
  description: "A kitchen screen's place in the line: Grill, Fry, Cold, or the Expo that sees every item.",
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    expo: t.exposeBoolean('expo'),
  }),
});

export const RestaurantRef = builder.objectRef<RestaurantSummary>('Restaurant').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    stations: t.field({ type: [StationRef], resolve: (restaurant) => restaurant.stations }),
  }),
});
