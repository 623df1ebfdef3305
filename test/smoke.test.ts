import { afterAll, beforeAll, expect, test } from 'vitest';
import { BumpOrderDocument, KitchenQueueDocument, PlaceOrderDocument } from './generated/graphql.js';
import { createRestaurant, newKey, ok, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from './support/harness.js';

let t: TestApp;
beforeAll(async () => (t = await startTestApp()));
afterAll(() => t.stop());

test('an order placed over HTTP reaches a screen over WebSocket', async () => {
  const restaurant = await createRestaurant(t.app);
  const cashier = tokenFor(t.app, restaurant, 'CASHIER');
  const client = wsClient(t.wsUrl, tokenFor(t.app, restaurant, 'KITCHEN'));
  const screen = subscribe(client, KitchenQueueDocument, {});
  const [snapshot] = await screen.take(1);
  expect(snapshot!.data!.kitchenQueue.kind).toBe('SNAPSHOT');
  const { placeOrder } = await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }] } }, cashier);
  await ok(t.url, BumpOrderDocument, { id: placeOrder.id }, tokenFor(t.app, restaurant, 'KITCHEN'));
  const events = await screen.take(3);
  expect(events.map((e) => e.data!.kitchenQueue.kind)).toEqual(['SNAPSHOT', 'ORDER_CREATED', 'ORDER_STATUS_CHANGED']);
  expect(events[2]!.data!.kitchenQueue.previousStatus).toBe('PENDING');
  await client.dispose();
});
