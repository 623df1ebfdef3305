import { ApolloClient, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { createClient } from 'graphql-ws';
import { expect, test } from 'vitest';
import WebSocket from 'ws';
import { KitchenQueueDocument, PlaceOrderDocument, type KitchenQueueSubscription } from './generated/graphql.js';
import { createRestaurant, newKey, ok, tokenFor, useTestApp } from './support/harness.js';

const t = useTestApp();

test('a kitchen screen on Apollo Client with GraphQLWsLink gets the SNAPSHOT, then live orders, and resumes by cursor', async () => {
  const restaurant = await createRestaurant(t.app);
  const cashier = tokenFor(t.app, restaurant, 'CASHIER');
  let tokensIssued = 0;
  const screenClient = () => {
    const wsClient = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      // A function, so every (re)connect presents a fresh token.
      connectionParams: () => {
        tokensIssued++;
        return { authorization: `Bearer ${tokenFor(t.app, restaurant, 'KITCHEN')}` };
      },
    });
    return { wsClient, apollo: new ApolloClient({ link: new GraphQLWsLink(wsClient), cache: new InMemoryCache() }) };
  };

  const received: KitchenQueueSubscription['kitchenQueue'][] = [];
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 10_000;
    while (received.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} events, got ${received.length}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const follow = (apollo: ApolloClient, after?: string) =>
    apollo.subscribe({ query: KitchenQueueDocument, variables: { after } }).subscribe({
      next: (result) => result.data && received.push(result.data.kitchenQueue),
    });

  const first = screenClient();
  const subscription = follow(first.apollo);
  await waitFor(1);
  expect(received[0]!.kind).toBe('SNAPSHOT');
  const placed = await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Tacos' }] } }, cashier);
  await waitFor(2);
  expect(received[1]!.kind).toBe('ORDER_CREATED');
  expect(received[1]!.order!.id).toBe(placed.placeOrder.id);
  subscription.unsubscribe();
  await first.wsClient.dispose();

  // Offline for a moment: an order comes in; the screen resumes with its last cursor.
  const missed = await ok(t.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Nachos' }] } }, cashier);
  const second = screenClient();
  const resumed = follow(second.apollo, received[1]!.cursor);
  await waitFor(3);
  expect(received[2]!.kind).toBe('ORDER_CREATED');
  expect(received[2]!.order!.id).toBe(missed.placeOrder.id);
  expect(tokensIssued).toBe(2);
  resumed.unsubscribe();
  await second.wsClient.dispose();
});
