import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { MeasuredChild, ROOT, type ProbeWindow, type ProcSample } from './child.js';
import { BENCH_JWT_SECRET, freshDatabase, provision, tokenFor, type BenchRestaurant } from './db.js';
import { Ledger, Senders } from './senders.js';
import { Screen, type Clock } from './screens.js';
import { pool, Recorder, round, sleep, Timeline, type SecondSummary, type Summary } from './stats.js';
import type { Workload } from './workloads.js';

export type TargetName = 'server' | 'baseline';

export interface RunOptions {
  /** postgres://postgres@127.0.0.1:5432 (any database part is replaced). */
  pgBase: string;
  redisUrl: string;
  /** The database each measured run gets a fresh copy of (its template is `<name>_template`). */
  database: string;
  warmupOrders: number;
  drainTimeoutMs: number;
  connectConcurrency: number;
  cpuProfDir?: string;
  /** Write a heap snapshot of the target once its screens are subscribed (for memory work). */
  heapSnapshotDir?: string;
  /** Run the server from another checkout (e.g. the last commit, for a before/after). */
  serverRoot?: string;
  /** The server's LOG_LEVEL (warn unless told: `info` measures its access log). */
  serverLogLevel?: string;
  log: (line: string) => void;
}

export interface SqlCounts {
  total: number;
  byKey: Record<string, number>;
}

export interface TargetResult {
  target: TargetName;
  error?: string;
  screens: { requested: number; connected: number; failed: number; connectWallMs: number; connectMs: Summary };
  mutations: {
    ok: number;
    errors: number;
    errorSamples: string[];
    perSecond: number | null;
    latencyMs: Summary;
    maxScheduleLagMs: number;
    durationS: number | null;
  };
  delivery: {
    latencyMs: Summary;
    /** Latency by second of traffic (from the first mutation sent). */
    bySecond: SecondSummary[];
    expected: number;
    received: number;
    lost: number;
    duplicated: number;
    outOfOrder: number;
    unexpected: number;
    perSecond: number | null;
    screensClosedUnexpectedly: number;
    screenErrors: string[];
  };
  memory: {
    rssBeforeScreensMB: number;
    rssAfterScreensMB: number;
    heapBeforeScreensMB: number | null;
    heapAfterScreensMB: number | null;
    rssPerScreenKB: number | null;
    heapPerScreenKB: number | null;
    rssAfterTrafficMB: number | null;
    heapAfterTrafficMB: number | null;
  };
  cpu: { connectS: number; trafficS: number; totalS: number; perThousandMutationsS: number | null };
  /** The event loop's delay and the GC pauses during the traffic. */
  traffic?: ProbeWindow | null;
  sql?: {
    connect: SqlCounts;
    traffic: SqlCounts;
    perMutation: number | null;
    perDelivery: number | null;
  };
  storm?: {
    screens: number;
    outageMs: number;
    reconnectWallMs: number;
    caughtUp: number;
    catchUpMs: Summary;
    /** From the mass reconnect until the last screen had every event committed before it reconnected. */
    allCaughtUpMs: number | null;
    resumedWithSnapshot: number;
    sqlDuringResume: SqlCounts;
    mutationsDuringResume: number;
    statementsPerMutationBefore: number | null;
    /** Statements in the resume window beyond what its mutations explain, per resumed screen. */
    extraStatementsPerScreen: number | null;
  };
}

/** Both children run as deployed: production mode (graphql-js skips its development checks), the bench's secret. */
const PRODUCTION = { NODE_ENV: 'production', JWT_SECRET: BENCH_JWT_SECRET };

/** Screens on the spare restaurant during the warm-up: enough to make a group that shares its events. */
const WARMUP_SCREENS = 4;

const mb = (bytes: number | null | undefined) => (bytes == null ? null : round(bytes / 1024 / 1024, 1));

function diffCounts(after: SqlCounts | null, before: SqlCounts | null): SqlCounts {
  if (!after || !before) return { total: 0, byKey: {} };
  const byKey: Record<string, number> = {};
  for (const [key, value] of Object.entries(after.byKey)) {
    const delta = value - (before.byKey[key] ?? 0);
    if (delta) byKey[key] = delta;
  }
  return { total: after.total - before.total, byKey: Object.fromEntries(Object.entries(byKey).sort((a, b) => b[1] - a[1])) };
}

/**
 * One workload against one target: a fresh database, provisioned restaurants, the target as a
 * child process, a warm-up, the screens, the traffic, the checks. Everything is torn down after.
 */
export async function runTarget(workload: Workload, target: TargetName, options: RunOptions): Promise<TargetResult> {
  const { log } = options;
  const dbUrl = await freshDatabase(options.pgBase, options.database);
  // One extra restaurant for the warm-up, so nothing it does is counted.
  const restaurants = await provision(dbUrl, workload.restaurants + 1, `${target}-${Date.now().toString(36)}`);
  const warm = restaurants.length - 1;
  const children: MeasuredChild[] = [];
  const screens: Screen[] = [];
  try {
    let childDbUrl = dbUrl;
    let sqlCounter: MeasuredChild | undefined;
    if (workload.countSql) {
      sqlCounter = await MeasuredChild.start({
        name: 'sql-counter',
        entry: 'bench/lib/sql-proxy.ts',
        env: { SQL_PROXY_UPSTREAM: `${new URL(dbUrl).hostname}:${new URL(dbUrl).port || 5432}` },
        ready: /ready: tcp:\/\/127\.0\.0\.1:(\d+)/,
        probe: false,
      });
      children.push(sqlCounter);
      const proxied = new URL(dbUrl);
      proxied.port = sqlCounter.url;
      childDbUrl = proxied.toString();
    }
    const sqlStats = async () => (sqlCounter ? await sqlCounter.ask<SqlCounts>({ sql: 'stats' }) : null);

    let cpuProfDir: string | undefined;
    if (options.cpuProfDir) {
      cpuProfDir = join(options.cpuProfDir, `${workload.name}-${target}`);
      mkdirSync(cpuProfDir, { recursive: true });
    }
    const child = await MeasuredChild.start(
      target === 'server'
        ? {
            name: 'server',
            entry: 'src/main.ts',
            env: { ...PRODUCTION, DATABASE_URL: childDbUrl, REDIS_URL: options.redisUrl, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: options.serverLogLevel ?? 'warn' },
            ready: /ready: (http:\/\/127\.0\.0\.1:\d+\/graphql)/,
            cpuProfDir,
            cwd: options.serverRoot,
          }
        : {
            name: 'baseline',
            entry: 'bench/baseline/server.ts',
            env: { ...PRODUCTION, DATABASE_URL: childDbUrl, REDIS_URL: options.redisUrl, PORT: '0' },
            ready: /ready: (http:\/\/127\.0\.0\.1:\d+\/graphql)/,
            cpuProfDir,
          },
    );
    children.push(child);
    const httpUrl = child.url;
    const wsUrl = httpUrl.replace(/^http/, 'ws');
    const started = child.sample(false);
    log(`  ${target}: pid ${child.pid} at ${httpUrl}`);

    const screenTokens = restaurants.map((r, i) => tokenFor(r.id, 'KITCHEN', `screen-${i}`));
    const posTokens = restaurants.map((r, i) => tokenFor(r.id, 'MANAGER', `pos-${i}`));
    const runId = `${target}-${Date.now().toString(36)}`;

    // Warm-up: a few screens on the spare restaurant (a group of them, as every workload has), orders
    // through every path from as many senders as the traffic will use (see WARMUP_ORDERS in run.ts).
    // The screens stay until the traffic starts, so both memory samples count them alike.
    const warmClock: Clock = { sendTimes: new Map(), latency: new Recorder() };
    const warmScreens = Array.from({ length: WARMUP_SCREENS }, () => new Screen(warm, screenTokens[warm]!, warmClock));
    const warmLedger = new Ledger(restaurants.length);
    const warmUp = async (orders: number, label: string) => {
      if (orders <= 0) return;
      const concurrency = Math.max(4, workload.senders);
      // Each order with a token the server has not seen, as each restaurant's first order of the
      // traffic brings one: verifying a token is a path to warm up too.
      let signed = 0;
      const freshToken = (r: number) => tokenFor(restaurants[r]!.id, 'MANAGER', `pos-${label}-${++signed}`);
      const warmSenders = new Senders(httpUrl, concurrency, restaurants, freshToken, warmClock, warmLedger, `${runId}-${label}`);
      await warmSenders.atRate(orders, 200, concurrency, () => warm);
      warmSenders.close();
      const until = performance.now() + 5_000;
      const caughtUp = () => warmScreens.every((screen) => screen.received >= warmLedger.committed[warm]!.length);
      while (!caughtUp() && performance.now() < until) await sleep(20);
      if (warmLedger.errors) throw new Error(`warm-up mutations failed: ${warmLedger.errorSamples.join(' | ')}`);
    };
    if (options.warmupOrders > 0) await Promise.all(warmScreens.map((screen) => screen.connect(wsUrl)));
    await warmUp(options.warmupOrders, 'warm');

    const clock: Clock = { sendTimes: new Map(), latency: new Recorder(), timeline: new Timeline() };
    let lastDeliveryAt = 0;
    clock.onDelivery = (_screen, _key, at) => (lastDeliveryAt = at);
    const ledger = new Ledger(restaurants.length);
    const senders = new Senders(httpUrl, Math.max(1, workload.senders), restaurants, (r) => posTokens[r]!, clock, ledger, runId, workload.restaurants);

    const snapshot = async (label: string) => {
      mkdirSync(options.heapSnapshotDir!, { recursive: true });
      const path = join(options.heapSnapshotDir!, `${workload.name}-${target}-${label}.heapsnapshot`);
      await child.ask({ probe: 'heapsnapshot', path }, 300_000);
      log(`  ${target}: heap snapshot ${path}`);
    };

    // Screens.
    await sleep(200);
    if (options.heapSnapshotDir) await snapshot('0-screens');
    const beforeScreens = await child.sample(true);
    const sqlBeforeScreens = await sqlStats();
    for (let r = 0; r < workload.restaurants; r++) {
      for (let s = 0; s < workload.screensPerRestaurant; s++) screens.push(new Screen(r, screenTokens[r]!, clock));
    }
    const connectMs = new Recorder();
    let failed = 0;
    const connectStart = performance.now();
    await pool(screens, options.connectConcurrency, async (screen) => {
      const t0 = performance.now();
      try {
        await screen.connect(wsUrl);
        connectMs.add(performance.now() - t0);
      } catch {
        failed += 1;
      }
    });
    const connectWallMs = performance.now() - connectStart;
    log(`  ${target}: ${screens.length - failed}/${screens.length} screens subscribed in ${Math.round(connectWallMs)} ms`);
    await sleep(workload.name === 'idle' ? 2_000 : 500);
    const afterScreens = await child.sample(true);
    const sqlAfterScreens = await sqlStats();
    if (options.heapSnapshotDir) await snapshot(`${screens.length}-screens`);
    // The sample's forced full GCs (and a snapshot) leave the server slower for a few seconds of
    // traffic: measured in tenants, ~1 core for the first 2-3 s against ~0.6 after, and a first second
    // at p50 20-80 ms when this second warm-up was a fifth of the first. No deployed server has just
    // been through them when a rush starts, so it is as long as the first.
    await warmUp(options.warmupOrders, 'rewarm');
    for (const screen of warmScreens) screen.close();
    const beforeTraffic = await child.sample(false);
    const sqlBeforeTraffic = await sqlStats();

    // Traffic.
    clock.timeline!.start = performance.now();
    let stormResult: TargetResult['storm'];
    if (workload.name === 'idle') {
      await sleep(3_000);
    } else if (workload.storm) {
      stormResult = await storm(workload, screens, senders, ledger, wsUrl, sqlStats, sqlBeforeTraffic, options);
    } else if (workload.durationS !== undefined) {
      await senders.flatOut(workload.senders, workload.durationS * 1000);
    } else {
      await senders.atRate(workload.orders!, workload.rate!, workload.senders);
    }
    const expectedTotal = () => screens.reduce((sum, s) => sum + ledger.committed[s.restaurant]!.length, 0);
    const receivedTotal = () => screens.reduce((sum, s) => sum + s.received, 0);
    const drainUntil = performance.now() + options.drainTimeoutMs;
    while (receivedTotal() < expectedTotal() && performance.now() < drainUntil) await sleep(25);
    // A little longer, to see duplicates that would come after the last expected event.
    if (workload.name !== 'idle') await sleep(200);
    const afterTraffic = await child.sample(false);
    const sqlAfterTraffic = await sqlStats();
    senders.close();

    // Checks: every screen must have every committed event of its restaurant, once, in order.
    let expected = 0;
    let received = 0;
    let lost = 0;
    let unexpected = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    let closedUnexpectedly = 0;
    const screenErrors: string[] = [];
    for (const screen of screens) {
      const keys = ledger.committed[screen.restaurant]!;
      expected += keys.length;
      let hits = 0;
      for (const key of keys) if (screen.seen.has(key)) hits += 1;
      lost += keys.length - hits;
      unexpected += screen.seen.size - hits;
      received += screen.received;
      duplicated += screen.duplicated;
      outOfOrder += screen.outOfOrder;
      closedUnexpectedly += screen.closedUnexpectedly;
      for (const error of screen.errors) if (screenErrors.length < 5) screenErrors.push(error);
    }
    const mutations = ledger.ok;
    const sendWindowS = ledger.firstSendAt !== undefined && ledger.lastDoneAt !== undefined ? (ledger.lastDoneAt - ledger.firstSendAt) / 1000 : null;
    const deliveryWindowS = ledger.firstSendAt !== undefined && lastDeliveryAt ? (lastDeliveryAt - ledger.firstSendAt) / 1000 : null;
    const begin = await started;
    const trafficCpu = afterTraffic.cpuSeconds - beforeTraffic.cpuSeconds;
    const screensConnected = screens.length - failed;
    const perScreen = (after: number | null, before: number | null) =>
      after == null || before == null || screensConnected === 0 ? null : round((after - before) / 1024 / screensConnected, 2);

    const result: TargetResult = {
      target,
      screens: { requested: screens.length, connected: screensConnected, failed, connectWallMs: Math.round(connectWallMs), connectMs: connectMs.summary() },
      mutations: {
        ok: mutations,
        errors: ledger.errors,
        errorSamples: ledger.errorSamples,
        perSecond: sendWindowS ? round(mutations / sendWindowS, 1) : null,
        latencyMs: ledger.latency.summary(),
        maxScheduleLagMs: round(ledger.maxLagMs, 1),
        durationS: sendWindowS === null ? null : round(sendWindowS, 2),
      },
      delivery: {
        latencyMs: clock.latency.summary(),
        bySecond: clock.timeline!.summary(),
        expected,
        received,
        lost,
        duplicated,
        outOfOrder,
        unexpected,
        perSecond: deliveryWindowS ? round(received / deliveryWindowS, 0) : null,
        screensClosedUnexpectedly: closedUnexpectedly,
        screenErrors,
      },
      memory: {
        rssBeforeScreensMB: mb(beforeScreens.rssBytes)!,
        rssAfterScreensMB: mb(afterScreens.rssBytes)!,
        heapBeforeScreensMB: mb(beforeScreens.heapUsedBytes),
        heapAfterScreensMB: mb(afterScreens.heapUsedBytes),
        rssPerScreenKB: perScreen(afterScreens.rssBytes, beforeScreens.rssBytes),
        heapPerScreenKB: perScreen(afterScreens.heapUsedBytes, beforeScreens.heapUsedBytes),
        rssAfterTrafficMB: mb(afterTraffic.rssBytes),
        heapAfterTrafficMB: mb(afterTraffic.heapUsedBytes),
      },
      cpu: {
        connectS: round(afterScreens.cpuSeconds - beforeScreens.cpuSeconds, 2),
        trafficS: round(trafficCpu, 2),
        totalS: round(afterTraffic.cpuSeconds - begin.cpuSeconds, 2),
        perThousandMutationsS: mutations ? round((trafficCpu / mutations) * 1000, 3) : null,
      },
      traffic: workload.name === 'idle' ? null : afterTraffic.window,
      storm: stormResult,
    };
    if (sqlCounter) {
      const traffic = diffCounts(sqlAfterTraffic, sqlBeforeTraffic);
      result.sql = {
        connect: diffCounts(sqlAfterScreens, sqlBeforeScreens),
        traffic,
        perMutation: mutations ? round(traffic.total / mutations, 2) : null,
        perDelivery: received ? round(traffic.total / received, 4) : null,
      };
    }
    return result;
  } finally {
    for (const screen of screens) screen.drop();
    for (const child of children.reverse()) await child.stop();
  }
}

/**
 * storm: traffic runs throughout; after `beforeS` every screen's socket is cut at once; one more
 * order per restaurant goes in during the outage (so every screen has something to replay);
 * after `outageS` all screens reconnect at once with their last cursor. A screen has caught up
 * when it holds every event committed before it reconnected.
 */
async function storm(
  workload: Workload,
  screens: Screen[],
  senders: Senders,
  ledger: Ledger,
  wsUrl: string,
  sqlStats: () => Promise<SqlCounts | null>,
  sqlAtStart: SqlCounts | null,
  options: RunOptions,
): Promise<NonNullable<TargetResult['storm']>> {
  const { beforeS, outageS, afterS } = workload.storm!;
  const rate = workload.rate!;
  const traffic = senders.atRate(Math.round(rate * (beforeS + outageS + afterS)), rate, workload.senders);
  await sleep(beforeS * 1000);
  const sqlBefore = await sqlStats();
  const okBefore = ledger.ok;
  const dropAt = performance.now();
  for (const screen of screens) screen.drop();
  options.log(`  storm: ${screens.length} screens dropped`);
  const burst = Array.from({ length: workload.restaurants }, (_, r) => r);
  await pool(burst, workload.senders, (r) => senders.orderAndBump(r));
  const wait = dropAt + outageS * 1000 - performance.now();
  if (wait > 0) await sleep(wait);

  const sqlAtReconnect = await sqlStats();
  const okAtReconnect = ledger.ok;
  const reconnectAt = performance.now();
  const reconnects = screens.map((screen) => {
    const keys = ledger.committed[screen.restaurant]!;
    screen.catchUp = { keys, need: keys.length, next: 0, since: performance.now() };
    while (screen.catchUp.next < screen.catchUp.need && screen.seen.has(keys[screen.catchUp.next]!)) screen.catchUp.next += 1;
    if (screen.catchUp.next >= screen.catchUp.need) screen.catchUp.doneAt = screen.catchUp.since;
    return screen.connect(wsUrl, screen.lastCursor).catch(() => undefined);
  });
  await Promise.all(reconnects);
  const reconnectWallMs = performance.now() - reconnectAt;
  const until = performance.now() + 30_000;
  while (screens.some((s) => s.catchUp?.doneAt === undefined) && performance.now() < until) await sleep(10);
  const allDoneAt = performance.now();
  const sqlAfter = await sqlStats();
  const okAfter = ledger.ok;
  options.log(`  storm: reconnected in ${Math.round(reconnectWallMs)} ms, caught up in ${Math.round(allDoneAt - reconnectAt)} ms`);
  await traffic;

  const catchUpMs = new Recorder();
  let caughtUp = 0;
  let lastDone = 0;
  for (const screen of screens) {
    const done = screen.catchUp?.doneAt;
    if (done === undefined) continue;
    caughtUp += 1;
    catchUpMs.add(done - reconnectAt);
    lastDone = Math.max(lastDone, done);
  }
  const sqlDuringResume = diffCounts(sqlAfter, sqlAtReconnect);
  // Steady state before the drop: statements per mutation, to tell the resume's own statements apart.
  const steady = diffCounts(sqlBefore, sqlAtStart);
  const statementsPerMutationBefore = sqlBefore && okBefore ? round(steady.total / okBefore, 2) : null;
  const mutationsDuringResume = okAfter - okAtReconnect;
  return {
    screens: screens.length,
    outageMs: Math.round(reconnectAt - dropAt),
    reconnectWallMs: Math.round(reconnectWallMs),
    caughtUp,
    catchUpMs: catchUpMs.summary(),
    allCaughtUpMs: caughtUp === screens.length ? round(lastDone - reconnectAt, 1) : null,
    resumedWithSnapshot: screens.filter((s) => s.snapshots > 1).length,
    sqlDuringResume,
    mutationsDuringResume,
    statementsPerMutationBefore,
    extraStatementsPerScreen:
      statementsPerMutationBefore === null
        ? null
        : round(Math.max(0, sqlDuringResume.total - mutationsDuringResume * statementsPerMutationBefore) / screens.length, 3),
  };
}

export { ROOT };
export type { BenchRestaurant, ProcSample };
