import { once } from 'node:events';
import pg from 'pg';
import { expect, test } from 'vitest';
import { BumpOrderDocument, KitchenQueueDocument, PlaceOrderDocument } from './generated/graphql.js';
import { TEST_DATABASE_URL } from './support/env.js';
import { createRestaurant, gql, newKey, ok, subscribe, tokenFor, until, useTestApp, wsClient } from './support/harness.js';
import { startServerProcess } from './support/processes.js';

const t = useTestApp();

test('SIGTERM: sockets close with 1001, new connections are refused, the in-flight mutation finishes, the process exits 0', async () => {
  const restaurant = await createRestaurant(t.app);
  const cook = tokenFor(t.app, restaurant, 'KITCHEN');
  const server = await startServerProcess();
  const { placeOrder } = await ok(
    server.url,
    PlaceOrderDocument,
    { input: { clientRequestId: newKey(), items: [{ name: 'Burger' }] } },
    tokenFor(t.app, restaurant, 'CASHIER'),
  );

  let onClosed!: (code: number) => void;
  const closeCode = new Promise<number>((resolve) => (onClosed = resolve));
  const screen = subscribe(
    wsClient(server.wsUrl, cook, { on: { closed: (event) => onClosed((event as { code: number }).code) } }),
    KitchenQueueDocument,
    {},
  );
  await screen.take(1);

  // Hold the order's row so the bump is still in flight when the signal arrives.
  const blocker = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await blocker.connect();
  await blocker.query('begin');
  await blocker.query('select id from orders where id = $1 for update', [placeOrder.id]);
  const blockerPid = (await blocker.query('select pg_backend_pid() as pid')).rows[0].pid as number;
  const bump = gql(server.url, BumpOrderDocument, { id: placeOrder.id }, cook);
  await until(async () => {
    const { rows } = await blocker.query(
      'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [blockerPid],
    );
    return rows[0].n > 0;
  }, 'the bump to wait on the row lock', 20_000);

  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  expect(await closeCode).toBe(1001);
  // The close ends the subscription with that close, and nothing came after the snapshot.
  await until(() => screen.error !== undefined, 'the subscription to fail with the close');
  expect((screen.error as { code: number }).code).toBe(1001);
  expect(screen.results).toHaveLength(1);
  await expect(fetch(server.url.replace('/graphql', '/healthz'))).rejects.toThrow();

  await blocker.query('commit');
  await blocker.end();
  const result = await bump;
  expect(result.errors).toBeUndefined();
  expect(result.data!.bumpOrder.status).toBe('PREPARING');
  const [code] = await exited;
  expect(code).toBe(0);
});
