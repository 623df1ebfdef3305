import { expect, test } from 'vitest';
import { KitchenQueueDocument, PlaceOrderDocument } from './generated/graphql.js';
import { createRestaurant, newKey, ok, subscribe, tokenFor, useTestApp, wsClient } from './support/harness.js';
import { countStatements } from './support/statements.js';

const t = useTestApp({ redis: true });

/** Statements spent while `screens` screens of one restaurant receive one new order. */
async function statementsFor(screens: number): Promise<number> {
  const restaurant = await createRestaurant(t.app);
  const cook = tokenFor(t.app, restaurant, 'KITCHEN');
  const cashier = tokenFor(t.app, restaurant, 'CASHIER');
  const subscriptions = Array.from({ length: screens }, () =>
    subscribe(wsClient(t.wsUrl, cook), KitchenQueueDocument, { stationId: restaurant.stations[0]!.id }),
  );
  await Promise.all(subscriptions.map((s) => s.take(1)));
  const counter = countStatements(t.app);
  const { placeOrder } = await ok(
    t.url,
    PlaceOrderDocument,
    { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }] } },
    cashier,
  );
  const delivered = await Promise.all(subscriptions.map((s) => s.take(2)));
  counter.stop();
  expect(delivered.every((results) => results[1]!.data!.kitchenQueue.order!.id === placeOrder.id)).toBe(true);
  subscriptions.forEach((s) => s.dispose());
  return counter.count;
}

test('delivering one event to 50 screens runs no more SQL than delivering it to one', async () => {
  const one = await statementsFor(1);
  const fifty = await statementsFor(50);
  expect(one).toBeGreaterThan(0); // the mutation itself
  expect(fifty).toBe(one);
});
