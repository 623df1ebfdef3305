import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import pg from 'pg';
import { runBench } from '../bench/run.js';
import { TEST_DATABASE_URL } from './support/env.js';

// The benchmark is not run in CI, but this tiny run of it is, so that it cannot rot: the server
// and the baseline as child processes, one restaurant, three screens, ten orders (each bumped),
// the SQL counter included. A database of this run's own (two runs at once must not drop each
// other's), which runBench drops afterwards. How long it takes is the benchmark's business, not this test's.
test('bench smoke: both servers deliver every event once and in order', async () => {
  const lines: string[] = [];
  const database = `kds_bench_smoke_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const reports = await runBench({
    workloads: ['fanout'],
    targets: ['server', 'baseline'],
    overrides: { restaurants: 1, screensPerRestaurant: 3, orders: 10, rate: 20, senders: 2 },
    warmupOrders: 2,
    drainTimeoutMs: 5_000,
    database,
    outDir: null,
    log: (line) => lines.push(line),
  });
  expect(reports, lines.join('\n')).toHaveLength(1);
  const [report] = reports;
  for (const result of [report!.server!, report!.baseline!]) {
    const context = `${result.target}:\n${lines.join('\n')}`;
    expect(result.error, context).toBeUndefined();
    expect(result.screens.connected, context).toBe(3);
    expect(result.mutations.ok, context).toBe(20);
    expect(result.mutations.errors, context).toBe(0);
    expect(result.delivery.expected, context).toBe(60);
    expect(result.delivery.received, context).toBe(60);
    expect(result.delivery.lost, context).toBe(0);
    expect(result.delivery.duplicated, context).toBe(0);
    expect(result.delivery.outOfOrder, context).toBe(0);
    expect(result.delivery.latencyMs.count, context).toBe(60);
    // One statement per mutation (a placeOrder, a bump) during the traffic, and none per delivery.
    expect(result.sql?.traffic.byKey, context).toMatchObject({ 'with restaurants': 10, 'with orders': 10 });
  }
  // The server's traffic is those 20 and nothing else (the baseline reads its stations once besides).
  expect(report!.server!.sql?.traffic.total).toBe(20);
  expect(report!.targets.find((t) => t.name.startsWith('no event lost'))?.met).toBe(true);
  // Neither the run's database nor its template is left behind.
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query('select datname from pg_database where datname like $1', [`${database}%`]);
    expect(rows).toEqual([]);
  } finally {
    await client.end();
  }
}, 90_000);
