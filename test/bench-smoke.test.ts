import { expect, test } from 'vitest';
import { runBench } from '../bench/run.js';

// The benchmark is not run in CI, but this tiny run of it is, so that it cannot rot: the server
// and the baseline as child processes, one restaurant, three screens, ten orders (each bumped),
// the SQL counter included. Its own database (kds_bench_smoke), dropped afterwards.
test('bench smoke: both servers deliver every event once and in order, in well under a minute', async () => {
  const started = performance.now();
  const lines: string[] = [];
  const [report] = await runBench({
    workloads: ['fanout'],
    targets: ['server', 'baseline'],
    overrides: { restaurants: 1, screensPerRestaurant: 3, orders: 10, rate: 20, senders: 2 },
    warmupOrders: 2,
    drainTimeoutMs: 5_000,
    database: 'kds_bench_smoke',
    outDir: null,
    log: (line) => lines.push(line),
  });
  const elapsed = performance.now() - started;
  expect(report, lines.join('\n')).toBeDefined();
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
    expect(result.sql?.traffic.total, context).toBeGreaterThan(0);
  }
  expect(report!.targets.find((t) => t.name.startsWith('no event lost'))?.met).toBe(true);
  expect(elapsed).toBeLessThan(60_000);
}, 90_000);
