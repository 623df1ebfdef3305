/**
 * `npm run bench -- [--workload fanout|tenants|max|idle|storm|all] [--target both|server|baseline] [--quick]`
 *
 * Each workload runs against the server (src/main.ts) and then the baseline (bench/baseline/server.ts),
 * each as a child process on a fresh copy of a migrated database, with the same generator.
 * Prints a table per workload and writes bench/results/<workload>-<date>.json (and .md).
 * Sizes: --restaurants N --screens N (per restaurant) --orders N --rate N --duration S --senders N.
 * --cpu-prof writes V8 CPU profiles of both children under bench/results/profiles/.
 * --repeat N runs each workload N rounds and shows each target's median run (these machines are noisy).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { killRunningChildren, ROOT } from './lib/child.js';
import { databaseUrl, dropDatabases, prepareTemplate } from './lib/db.js';
import {
  checkTargets,
  computeRatios,
  machineInfo,
  medianRun,
  renderMarkdown,
  renderText,
  type WorkloadReport,
} from './lib/report.js';
import { runTarget, type RunOptions, type TargetName, type TargetResult } from './lib/runner.js';
import { QUICK, WORKLOAD_NAMES, WORKLOADS, type Workload, type WorkloadName } from './lib/workloads.js';

export interface BenchOptions {
  workloads: WorkloadName[];
  targets: TargetName[];
  quick?: boolean;
  overrides?: Partial<Workload>;
  pgBase?: string;
  redisUrl?: string;
  database?: string;
  warmupOrders?: number;
  drainTimeoutMs?: number;
  cpuProf?: boolean;
  heapSnapshot?: boolean;
  /** Where to write JSON and markdown; null: nowhere. */
  outDir?: string | null;
  command?: string;
  log?: (line: string) => void;
  keepDatabase?: boolean;
  /** Run the server from another checkout (its own src/ and migrations/, this node_modules). */
  serverRoot?: string;
  /** The server's LOG_LEVEL (warn unless told). */
  serverLogLevel?: string;
  /**
   * Rounds of each workload (both targets each round, the first in turn): the report shows each
   * target's median run (medianRun), and keeps every run.
   */
  repeat?: number;
}

/**
 * Orders (each bumped) through every path before the measured traffic, at 200/s, to a group of
 * screens and from as many senders as the traffic uses: the traffic should meet a server that has
 * run. The same again after the memory sample (runner.ts), whose forced GCs leave the server cold.
 */
const WARMUP_ORDERS = 1000;

const localOnly = (url: string, what: string) => {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost') throw new Error(`${what} must be on 127.0.0.1, not ${host}`);
  return url;
};

export async function runBench(options: BenchOptions): Promise<WorkloadReport[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const pgBase = localOnly(options.pgBase ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres', 'PostgreSQL');
  const redisUrl = localOnly(options.redisUrl ?? process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', 'Redis');
  const database = options.database ?? 'kds_bench';
  const stamp = new Date().toISOString().replace(/:/g, '-').replace(/\..+/, '');
  const run: RunOptions = {
    pgBase,
    redisUrl,
    database,
    warmupOrders: options.warmupOrders ?? (options.quick ? 10 : WARMUP_ORDERS),
    drainTimeoutMs: options.drainTimeoutMs ?? (options.quick ? 5_000 : 15_000),
    connectConcurrency: 100,
    serverLogLevel: options.serverLogLevel,
    cpuProfDir: options.cpuProf ? join(ROOT, 'bench/results/profiles', stamp) : undefined,
    heapSnapshotDir: options.heapSnapshot ? join(ROOT, 'bench/results/profiles', stamp) : undefined,
    serverRoot: options.serverRoot,
    log,
  };

  const client = new pg.Client({ connectionString: databaseUrl(pgBase, 'postgres') });
  await client.connect();
  const pgVersion = (await client.query<{ server_version: string }>('show server_version')).rows[0]?.server_version ?? null;
  await client.end();
  const machine = machineInfo(pgVersion);

  log(`preparing ${database}_template (migrations)...`);
  await prepareTemplate(pgBase, database);
  const reports: WorkloadReport[] = [];
  try {
    for (const name of options.workloads) {
      const workload: Workload = { ...WORKLOADS[name], ...(options.quick ? QUICK[name] : {}), ...options.overrides };
      if (options.overrides?.durationS !== undefined && workload.rate && !options.overrides.orders) {
        workload.orders = Math.round(workload.rate * options.overrides.durationS);
        if (name !== 'max') delete workload.durationS;
      }
      if (name === 'max') delete workload.orders;
      const description = describe(workload);
      log(`\n${name}: ${description}`);
      const runs: Partial<Record<TargetName, TargetResult[]>> = Object.fromEntries(options.targets.map((t) => [t, []]));
      const rounds = Math.max(1, options.repeat ?? 1);
      for (let round = 0; round < rounds; round++) {
        if (rounds > 1) log(`  round ${round + 1} of ${rounds}`);
        // The first target in turn, so that neither always runs on a machine the other has just warmed.
        const order = round % 2 === 0 ? options.targets : [...options.targets].reverse();
        for (const target of order) {
          try {
            runs[target]!.push(await runTarget(workload, target, run));
          } catch (error) {
            log(`  ${target} failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
            runs[target]!.push({ target, error: error instanceof Error ? error.message : String(error) } as TargetResult);
          }
        }
      }
      const results: Partial<Record<TargetName, TargetResult>> = {};
      for (const target of options.targets) results[target] = medianRun(name, runs[target]!);
      const report: WorkloadReport = {
        workload: name,
        description,
        params: workload,
        date: new Date().toISOString(),
        command: options.command ?? `npm run bench -- --workload ${name}`,
        machine,
        server: results.server,
        baseline: results.baseline,
        ratios: computeRatios(results.server, results.baseline),
        ...(rounds > 1 ? { runs } : {}),
        targets: checkTargets(workload, results.server, results.baseline),
        notes: [
          'Delivery latency: from just before the HTTP request of the mutation (placeOrder: time in the order notes; bump: noted by the generator) to the event arriving at a screen, on the generator\'s one monotonic clock; creates and bumps both count.',
          'Server and baseline run one after the other on the same machine, each on a fresh copy of the migrated database, after the same warm-up.',
          ...(options.serverRoot ? [`The server ran from ${options.serverRoot}.`] : []),
        ],
      };
      reports.push(report);
      log('\n' + renderText(report));
      if (options.outDir !== null) {
        const dir = options.outDir ?? join(ROOT, 'bench/results');
        mkdirSync(dir, { recursive: true });
        const file = join(dir, `${name}-${stamp}`);
        writeFileSync(`${file}.json`, JSON.stringify(report, null, 2));
        writeFileSync(`${file}.md`, renderMarkdown(report) + '\n');
        log(`wrote ${file}.json`);
      }
    }
  } finally {
    if (!options.keepDatabase) await dropDatabases(pgBase, database).catch(() => {});
  }
  return reports;
}

function describe(w: Workload): string {
  const screens = `${w.restaurants} restaurant${w.restaurants === 1 ? '' : 's'} x ${w.screensPerRestaurant} screens`;
  if (w.name === 'idle') return `${w.restaurants * w.screensPerRestaurant} screens (${screens}) connected and subscribed, no traffic`;
  if (w.storm) {
    const { beforeS, outageS, afterS } = w.storm;
    return `${w.restaurants * w.screensPerRestaurant} screens (${screens}) drop at once after ${beforeS} s, resume with their cursors after ${outageS} s, ${w.rate} orders/s throughout (${beforeS + outageS + afterS} s), ${w.senders} senders`;
  }
  if (w.durationS !== undefined) return `${screens}, as many orders as ${w.senders} senders can push in ${w.durationS} s (each bumped once)`;
  return `${screens}, ${w.orders} orders at ${w.rate}/s from ${w.senders} senders (each bumped once)`;
}

async function main() {
  const { values } = parseArgs({
    allowNegative: true,
    options: {
      workload: { type: 'string', multiple: true },
      target: { type: 'string', default: 'both' },
      quick: { type: 'boolean', default: false },
      restaurants: { type: 'string' },
      screens: { type: 'string' },
      orders: { type: 'string' },
      rate: { type: 'string' },
      duration: { type: 'string' },
      senders: { type: 'string' },
      warmup: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'heap-snapshot': { type: 'boolean', default: false },
      database: { type: 'string' },
      out: { type: 'string' },
      'keep-db': { type: 'boolean', default: false },
      'count-sql': { type: 'boolean' },
      'server-root': { type: 'string' },
      repeat: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(
      'npm run bench -- [--workload fanout|tenants|max|idle|storm|all ...] [--target both|server|baseline] [--quick]\n' +
        '  [--restaurants N] [--screens N] [--orders N] [--rate N] [--duration S] [--senders N] [--warmup N]\n' +
        '  [--cpu-prof] [--heap-snapshot] [--[no-]count-sql] [--database NAME] [--out DIR] [--keep-db] [--server-root DIR]\n' +
        '  [--repeat N]   N rounds of each workload; the report shows each target\'s median run\n' +
        '  [--log-level L] the server\'s LOG_LEVEL (warn; info measures the access log)',
    );
    return;
  }
  const requested = (values.workload ?? ['all']).flatMap((w) => w.split(','));
  const workloads = requested.includes('all') ? WORKLOAD_NAMES : (requested as WorkloadName[]);
  for (const w of workloads) if (!WORKLOAD_NAMES.includes(w)) throw new Error(`unknown workload "${w}" (${WORKLOAD_NAMES.join(', ')})`);
  const targets: TargetName[] = values.target === 'both' ? ['server', 'baseline'] : [values.target as TargetName];
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const overrides: Partial<Workload> = Object.fromEntries(
    Object.entries({
      restaurants: num(values.restaurants),
      screensPerRestaurant: num(values.screens),
      orders: num(values.orders),
      rate: num(values.rate),
      durationS: num(values.duration),
      senders: num(values.senders),
      countSql: values['count-sql'],
    }).filter(([, v]) => v !== undefined),
  );
  await runBench({
    workloads,
    targets,
    quick: values.quick,
    overrides,
    warmupOrders: num(values.warmup),
    cpuProf: values['cpu-prof'],
    heapSnapshot: values['heap-snapshot'],
    database: values.database,
    outDir: values.out,
    keepDatabase: values['keep-db'],
    serverRoot: values['server-root'],
    repeat: num(values.repeat),
    serverLogLevel: values['log-level'],
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killRunningChildren();
      process.exit(130);
    });
  }
  main().then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
}
