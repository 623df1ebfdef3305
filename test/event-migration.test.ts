import { MikroORM } from '@mikro-orm/postgresql';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ormConfig } from '../src/db/orm.js';
import { cursorSequence } from '../src/schema/types/kitchen-queue.js';
import { KitchenQueueDocument, PlaceOrderDocument } from './generated/graphql.js';
import { events } from './support/db.js';
import { TEST_DATABASE_URL } from './support/env.js';
import { newKey, ok, startTestApp, subscribe, tokenFor, wsClient, type TestApp } from './support/harness.js';

/** The migration before kitchen_events carried any subject: only orders had events then. */
const ORDERS_ONLY = 'Migration20261122050030';
/** What a server before the migration handed out as the cursor of sequence 1 ("kq:1"). */
const CURSOR_OF_1_BEFORE = 'a3E6MQ';

const name = `kds_migration_${process.pid}_${randomUUID().slice(0, 8)}`;
const url = new URL(TEST_DATABASE_URL);
url.pathname = `/${name}`;
const admin = async (sql: string) => {
  const adminUrl = new URL(TEST_DATABASE_URL);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({ connectionString: adminUrl.toString() });
  await client.connect();
  await client.query(sql).finally(() => client.end());
};

const restaurantId = randomUUID();
const orderId = randomUUID();
const snapshot = (status: string, version: number) => ({
  id: orderId,
  number: 1,
  type: 'TAKEOUT',
  status,
  rush: false,
  table: null,
  customerName: null,
  notes: 'from before',
  version,
  createdAt: '2026-12-01T12:00:00.000Z',
  updatedAt: '2026-12-01T12:00:00.000Z',
  startedAt: status === 'PENDING' ? null : '2026-12-01T12:00:00.000Z',
  readyAt: null,
  completedAt: null,
  cancelledAt: null,
  cancelReason: null,
  items: [],
});

let server: TestApp;
beforeAll(async () => {
  await admin(`create database "${name}"`);
  // The database as it stood before the migration, with two order events in the old shape.
  const orm = await MikroORM.init(ormConfig(url.toString(), { logger: () => {} }));
  await orm.getMigrator().up({ to: ORDERS_ONLY });
  const db = orm.em.getConnection();
  await db.execute(`insert into restaurants (id, name, slug, last_order_number, last_event_sequence) values (?, 'Before', 'before', 1, 2)`, [restaurantId]);
  await db.execute(
    `insert into orders (id, restaurant_id, number, type, status, notes, version, client_request_id, request_hash, created_at, updated_at, started_at)
     values (?, ?, 1, 'TAKEOUT', 'PREPARING', 'from before', 2, 'before-1', '', now(), now(), now())`,
    [orderId, restaurantId],
  );
  for (const [sequence, kind, previous, order] of [
    [1, 'ORDER_CREATED', null, snapshot('PENDING', 1)],
    [2, 'ORDER_STATUS_CHANGED', 'PENDING', snapshot('PREPARING', 2)],
  ] as const) {
    await db.execute(
      `insert into kitchen_events (id, restaurant_id, sequence, kind, order_id, previous_status, payload, created_at)
       values (?, ?, ?, ?, ?, ?, ?::jsonb, now())`,
      [randomUUID(), restaurantId, sequence, kind, orderId, previous, JSON.stringify(order)],
    );
  }
  await orm.close(true);
  // The server migrates at start.
  server = await startTestApp({ databaseUrl: url.toString() });
});
afterAll(async () => {
  await server?.stop();
  await admin(`drop database if exists "${name}" with (force)`);
});

test('the migration keeps the events, and a cursor issued before it still resumes', async () => {
  expect(await events(server.app, restaurantId)).toEqual([
    { sequence: 1, kind: 'ORDER_CREATED', orderId, previousStatus: null },
    { sequence: 2, kind: 'ORDER_STATUS_CHANGED', orderId, previousStatus: 'PENDING' },
  ]);
  const restaurant = { id: restaurantId };
  const screen = subscribe(wsClient(server.wsUrl, tokenFor(server.app, restaurant, 'KITCHEN')), KitchenQueueDocument, {
    after: CURSOR_OF_1_BEFORE,
  });
  const [replayed] = await screen.take(1);
  expect(replayed!.data!.kitchenQueue).toMatchObject({
    kind: 'ORDER_STATUS_CHANGED',
    previousStatus: 'PENDING',
    order: { id: orderId, status: 'PREPARING', notes: 'from before' },
  });
  expect(cursorSequence(replayed!.data!.kitchenQueue.cursor)).toBe(2);

  const cashier = tokenFor(server.app, restaurant, 'CASHIER');
  const { placeOrder } = await ok(server.url, PlaceOrderDocument, { input: { clientRequestId: newKey(), items: [{ name: 'Soup' }] } }, cashier);
  const [, next] = await screen.take(2);
  expect(next!.data!.kitchenQueue).toMatchObject({ kind: 'ORDER_CREATED', order: { id: placeOrder.id, number: 2 } });
  expect(cursorSequence(next!.data!.kitchenQueue.cursor)).toBe(3);
  screen.dispose();
});
