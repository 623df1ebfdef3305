import { expect, test } from 'vitest';
import { MeDocument, PlaceOrderDocument } from './generated/graphql.js';
import { createRestaurant, newKey, ok, startTestApp, tokenFor, useTestApp } from './support/harness.js';
import { countStatements } from './support/statements.js';

const t = useTestApp();

/** Statements of the first order a restaurant places on `app` (its token already checked there). */
async function firstOrderStatements(app: Awaited<ReturnType<typeof startTestApp>>, restaurant: { id: string }) {
  const cashier = tokenFor(app.app, restaurant, 'CASHIER');
  await ok(app.url, MeDocument, {}, cashier);
  const counter = countStatements(app.app);
  const { placeOrder } = await ok(app.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }] } }, cashier);
  counter.stop();
  expect(placeOrder.items[0]!.station!.name).toBe('Grill');
  return counter.count;
}

test("an instance reads the stations of the restaurants that exist as it starts: each one's first order there is one statement", async () => {
  const before = await createRestaurant(t.app);
  const later = await startTestApp();
  try {
    expect(await firstOrderStatements(later, before)).toBe(1);
    // A restaurant created after the start: its stations are read with its first order.
    const after = await createRestaurant(later.app);
    expect(await firstOrderStatements(later, after)).toBe(2);
  } finally {
    await later.stop();
  }
});
