import { spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { expect, onTestFinished, test } from 'vitest';
import { BumpOrderDocument, KitchenQueueDocument, PlaceOrderDocument } from './generated/graphql.js';
import { TEST_DATABASE_URL } from './support/env.js';
import { createRestaurant, gql, newKey, ok, subscribe, tokenFor, useTestApp, wsClient } from './support/harness.js';

const t = useTestApp();

/** The real entry point, as `npm start` runs it, on the test database. */
async function startServerProcess() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, DATABASE_URL: TEST_DATABASE_URL, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready: (http:\/\/\S+\/graphql)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${output}`)));
  });
  // A failed test must not leave the server running.
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, url, wsUrl: url.replace('http:', 'ws:') };
}

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

  let closeCode: number | undefined;
  const screen = subscribe(
    wsClient(server.wsUrl, cook, { on: { closed: (event) => (closeCode = (event as { code: number }).code) } }),
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
  for (let waiting = 0; waiting === 0; ) {
    const { rows } = await blocker.query(
      'select count(*)::int as n from pg_stat_activity where $1 = any(pg_blocking_pids(pid))',
      [blockerPid],
    );
    waiting = rows[0].n;
  }

  const exited = once(server.child, 'exit');
  server.child.kill('SIGTERM');
  await screen.take(2).catch(() => undefined);
  expect(closeCode).toBe(1001);
  await expect(fetch(server.url.replace('/graphql', '/healthz'))).rejects.toThrow();

  await blocker.query('commit');
  await blocker.end();
  const result = await bump;
  expect(result.errors).toBeUndefined();
  expect(result.data!.bumpOrder.status).toBe('PREPARING');
  const [code] = await exited;
  expect(code).toBe(0);
});
