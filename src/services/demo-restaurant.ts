import type { RestaurantDirectory, RestaurantSummary } from './restaurant-directory.js';

export const DEMO_SLUG = 'demo';

/** The embedded default's demo: created once, on an empty database. */
export async function ensureDemoRestaurant(restaurants: RestaurantDirectory): Promise<RestaurantSummary | null> {
  const existing = await restaurants.find(DEMO_SLUG);
  if (existing) return existing;
  if ((await restaurants.list()).length > 0) return null;
  return restaurants.create({
    name: 'Demo Kitchen',
    slug: DEMO_SLUG,
    stations: [
      { name: 'Grill', expo: false },
      { name: 'Fry', expo: false },
      { name: 'Cold', expo: false },
      { name: 'Expo', expo: true },
    ],
  });
}
