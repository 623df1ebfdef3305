import { expect, test } from 'vitest';
import { medianRun } from '../bench/lib/report.js';
import type { TargetResult } from '../bench/lib/runner.js';

const run = (p99: number, rssPerScreenKB = 20, error?: string) =>
  ({ target: 'server', error, delivery: { latencyMs: { p50: 1, p99 } }, mutations: { perSecond: 400 }, memory: { rssPerScreenKB } }) as unknown as TargetResult;

test('--repeat shows the run of median delivery p99 (the lower middle of an even count), leaving failed runs out', () => {
  const [slow, fast, middle] = [run(30), run(10), run(20)];
  expect(medianRun('tenants', [slow, fast, middle])).toBe(middle);
  expect(medianRun('tenants', [slow, fast])).toBe(fast);
  expect(medianRun('tenants', [run(5, 20, 'server exited'), slow, middle])).toBe(middle);
  const failed = run(0, 0, 'server exited');
  expect(medianRun('tenants', [failed])).toBe(failed);
});

test('--repeat ranks idle runs by RSS per screen', () => {
  const [small, large, middle] = [run(1, 10), run(1, 30), run(1, 20)];
  expect(medianRun('idle', [large, small, middle])).toBe(middle);
});
