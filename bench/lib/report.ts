import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { ratio } from './stats.js';
import type { TargetName, TargetResult } from './runner.js';
import type { Workload } from './workloads.js';

export interface TargetCheck {
  name: string;
  value: number | null;
  limit: string;
  met: boolean;
}

export interface WorkloadReport {
  workload: string;
  description: string;
  params: Workload;
  date: string;
  command: string;
  machine: Record<string, unknown>;
  server?: TargetResult;
  baseline?: TargetResult;
  ratios: Record<string, number | null>;
  /** With --repeat: every run, in the order they ran (server and baseline hold the median ones). */
  runs?: Partial<Record<TargetName, TargetResult[]>>;
  targets: TargetCheck[];
  notes: string[];
}

/** What a run is ranked by: its memory per screen for `idle`, else its delivery p99. */
const keyFigure = (workload: string, run: TargetResult): number | null =>
  workload === 'idle' ? run.memory.rssPerScreenKB : run.delivery.latencyMs.p99;

/** The run whose key figure is the median (the lower one of an even count); failed runs only if all failed. */
export function medianRun(workload: string, runs: TargetResult[]): TargetResult | undefined {
  const done = runs.filter((run) => !run.error && keyFigure(workload, run) !== null);
  if (!done.length) return runs[0];
  done.sort((a, b) => keyFigure(workload, a)! - keyFigure(workload, b)!);
  return done[Math.floor((done.length - 1) / 2)];
}

/** Each target's runs in one line: the figure runs are ranked by (and for storm, the catch-up). */
function runLines(report: WorkloadReport): string[] {
  if (!report.runs) return [];
  const idle = report.workload === 'idle';
  const cells = (list: TargetResult[], pick: (run: TargetResult) => number | null | undefined) =>
    list.map((run) => (run.error ? 'failed' : String(pick(run) ?? '-'))).join(', ');
  return Object.entries(report.runs).map(([target, list]) => {
    const ranked = `${idle ? 'RSS per screen (KB)' : 'delivery p99 (ms)'} of each run: ${cells(list, (run) => keyFigure(report.workload, run))}`;
    const caughtUp = report.workload === 'storm' ? `; all caught up (ms): ${cells(list, (run) => run.storm?.allCaughtUpMs)}` : '';
    return `${target} ${ranked}${caughtUp} (the median run is shown)`;
  });
}

export function machineInfo(pgVersion: string | null): Record<string, unknown> {
  let redis: string | null = null;
  try {
    redis = /redis_version:(\S+)/.exec(execFileSync('redis-cli', ['-h', '127.0.0.1', 'info', 'server'], { encoding: 'utf8' }))?.[1] ?? null;
  } catch {
    redis = null;
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    postgres: pgVersion,
    redis,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

type Row = [label: string, pick: (r: TargetResult) => number | string | null | undefined, ratio?: boolean];

const ROWS: Row[] = [
  ['screens connected', (r) => `${r.screens.connected}/${r.screens.requested}`],
  ['connect: all screens (ms)', (r) => r.screens.connectWallMs, true],
  ['connect p50 / p99 (ms)', (r) => pair(r.screens.connectMs.p50, r.screens.connectMs.p99)],
  ['mutations ok / errors', (r) => `${r.mutations.ok} / ${r.mutations.errors}`],
  ['mutations/s', (r) => r.mutations.perSecond, true],
  ['mutation p50 (ms)', (r) => r.mutations.latencyMs.p50, true],
  ['mutation p99 (ms)', (r) => r.mutations.latencyMs.p99, true],
  ['delivery p50 (ms)', (r) => r.delivery.latencyMs.p50, true],
  ['delivery p95 (ms)', (r) => r.delivery.latencyMs.p95, true],
  ['delivery p99 (ms)', (r) => r.delivery.latencyMs.p99, true],
  ['delivery p99.9 (ms)', (r) => r.delivery.latencyMs.p999, true],
  ['delivery max (ms)', (r) => r.delivery.latencyMs.max, true],
  ['deliveries expected', (r) => r.delivery.expected],
  ['received', (r) => r.delivery.received],
  ['lost / duplicated / out of order', (r) => `${r.delivery.lost} / ${r.delivery.duplicated} / ${r.delivery.outOfOrder}`],
  ['deliveries/s', (r) => r.delivery.perSecond, true],
  // RSS moves in whole pages and can shrink after a GC: per screen it means something with many screens only.
  ['RSS per screen (KB)', (r) => (r.screens.connected >= 1000 ? r.memory.rssPerScreenKB : null), true],
  ['heap per screen (KB)', (r) => r.memory.heapPerScreenKB, true],
  ['RSS after screens (MB)', (r) => r.memory.rssAfterScreensMB, true],
  ['CPU s: connect', (r) => r.cpu.connectS, true],
  ['CPU s: traffic', (r) => r.cpu.trafficS, true],
  ['CPU s per 1k mutations', (r) => r.cpu.perThousandMutationsS, true],
  ['traffic: event-loop delay p99 / max (ms)', (r) => (r.traffic ? pair(r.traffic.loopDelayP99Ms, r.traffic.loopDelayMaxMs) : null)],
  ['traffic: GC pauses / total / longest (ms)', (r) => (r.traffic ? `${r.traffic.gcCount} / ${r.traffic.gcTotalMs} / ${r.traffic.gcMaxMs}` : null)],
  ['traffic: major GCs (mark-compact)', (r) => r.traffic?.majorGcCount ?? null],
  ['SQL statements per mutation', (r) => r.sql?.perMutation, true],
  ['SQL statements per delivery', (r) => r.sql?.perDelivery],
  ['SQL statements per screen connect', (r) => (r.sql ? round2(r.sql.connect.total / Math.max(1, r.screens.connected)) : null), true],
  ['storm: reconnect all (ms)', (r) => r.storm?.reconnectWallMs, true],
  ['storm: all caught up (ms)', (r) => r.storm?.allCaughtUpMs, true],
  ['storm: catch-up p50 / p99 (ms)', (r) => (r.storm ? pair(r.storm.catchUpMs.p50, r.storm.catchUpMs.p99) : null)],
  ['storm: resumed with a SNAPSHOT', (r) => r.storm?.resumedWithSnapshot],
  ['storm: extra SQL per resumed screen', (r) => r.storm?.extraStatementsPerScreen],
];

const round2 = (value: number) => Math.round(value * 100) / 100;
const pair = (a: number | null, b: number | null) => `${a ?? '-'} / ${b ?? '-'}`;

/** Rows that apply to the workload (a row with no value on either side is left out). */
function rows(report: WorkloadReport): [string, string, string, string][] {
  const out: [string, string, string, string][] = [];
  for (const [label, pick, withRatio] of ROWS) {
    const s = report.server && !report.server.error ? pick(report.server) : undefined;
    const b = report.baseline && !report.baseline.error ? pick(report.baseline) : undefined;
    if ((s === undefined || s === null) && (b === undefined || b === null)) continue;
    if (report.workload === 'idle' && /mutation|deliver|lost|received|traffic/.test(label)) continue;
    const r = withRatio && typeof s === 'number' && typeof b === 'number' ? ratio(s, b) : null;
    out.push([label, String(s ?? '-'), String(b ?? '-'), r === null ? '' : `${r}x`]);
  }
  return out;
}

export function computeRatios(server?: TargetResult, baseline?: TargetResult): Record<string, number | null> {
  if (!server || !baseline) return {};
  return {
    mutationsPerSecond: ratio(server.mutations.perSecond, baseline.mutations.perSecond),
    mutationP50: ratio(server.mutations.latencyMs.p50, baseline.mutations.latencyMs.p50),
    mutationP99: ratio(server.mutations.latencyMs.p99, baseline.mutations.latencyMs.p99),
    deliveryP50: ratio(server.delivery.latencyMs.p50, baseline.delivery.latencyMs.p50),
    deliveryP99: ratio(server.delivery.latencyMs.p99, baseline.delivery.latencyMs.p99),
    deliveryP999: ratio(server.delivery.latencyMs.p999, baseline.delivery.latencyMs.p999),
    deliveriesPerSecond: ratio(server.delivery.perSecond, baseline.delivery.perSecond),
    rssPerScreen: ratio(server.memory.rssPerScreenKB, baseline.memory.rssPerScreenKB),
    heapPerScreen: ratio(server.memory.heapPerScreenKB, baseline.memory.heapPerScreenKB),
    cpuTraffic: ratio(server.cpu.trafficS, baseline.cpu.trafficS),
    cpuPerThousandMutations: ratio(server.cpu.perThousandMutationsS, baseline.cpu.perThousandMutationsS),
    connectWall: ratio(server.screens.connectWallMs, baseline.screens.connectWallMs),
    stormCatchUp: ratio(server.storm?.allCaughtUpMs, baseline.storm?.allCaughtUpMs),
  };
}

/** The targets, for the server (the baseline is the yardstick, not the subject). */
export function checkTargets(params: Workload, server?: TargetResult, baseline?: TargetResult): TargetCheck[] {
  if (!server || server.error) return [];
  const workload = params.name;
  const checks: TargetCheck[] = [];
  const add = (name: string, value: number | null | undefined, limit: string, met: boolean) =>
    checks.push({ name, value: value ?? null, limit, met });
  const clean = server.delivery.lost === 0 && server.delivery.duplicated === 0 && server.delivery.outOfOrder === 0;
  if (workload !== 'idle') {
    add('no event lost, duplicated or out of order', server.delivery.lost + server.delivery.duplicated + server.delivery.outOfOrder, '= 0', clean);
  }
  const p99Ratio = ratio(server.delivery.latencyMs.p99, baseline?.delivery.latencyMs.p99);
  if (workload === 'tenants') {
    const p50 = server.delivery.latencyMs.p50;
    add('delivery p50 (ms)', p50, '<= 10', p50 !== null && p50 <= 10);
    add('delivery p99 / baseline p99', p99Ratio, '<= 2', p99Ratio !== null && p99Ratio <= 2);
  }
  if (workload === 'max') {
    const m = ratio(server.mutations.perSecond, baseline?.mutations.perSecond);
    add('mutations/s / baseline', m, '>= 0.5', m !== null && m >= 0.5);
    add('delivery p99 / baseline p99', p99Ratio, '<= 2', p99Ratio !== null && p99Ratio <= 2);
  }
  if (workload === 'idle') {
    const kb = server.memory.rssPerScreenKB;
    add('RSS per subscribed screen (KB)', kb, '<= 32', kb !== null && kb <= 32);
    add('every screen subscribed', server.screens.failed, '= 0 failed', server.screens.failed === 0);
  }
  if (workload === 'storm' && server.storm) {
    add('every screen caught up (ms)', server.storm.allCaughtUpMs, '<= 10000', server.storm.allCaughtUpMs !== null && server.storm.allCaughtUpMs <= 10_000);
    add('screens resumed with a SNAPSHOT instead of a replay', server.storm.resumedWithSnapshot, '= 0', server.storm.resumedWithSnapshot === 0);
    const replayReads = server.storm.sqlDuringResume.byKey['select kitchen_events'] ?? 0;
    add('replay reads from kitchen_events during the resume', replayReads, '= 0 (served from memory)', replayReads === 0);
    const extra = server.storm.extraStatementsPerScreen;
    add('extra SQL statements per resumed screen', extra, '< 0.1', extra !== null && extra < 0.1);
  }
  // With few screens per restaurant, a query per screen per event could not be told apart.
  if (workload === 'fanout' && server.sql && params.screensPerRestaurant >= 50) {
    // A query per screen per event would add at least one statement per screen to every mutation.
    const perMutation = server.sql.perMutation;
    const screens = params.screensPerRestaurant;
    add(
      'SQL statements per mutation (no query per screen per event)',
      perMutation,
      `< ${screens / 2} (screens per restaurant / 2; a query per screen per event would be >= ${screens})`,
      perMutation !== null && perMutation < screens / 2,
    );
  }
  return checks;
}

export function renderText(report: WorkloadReport): string {
  const table = rows(report);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...[['', 'server', 'baseline', 'ratio'][i]!.length, ...table.map((r) => r[i]!.length)]));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [`== ${report.workload}: ${report.description}`, line(['', 'server', 'baseline', 'ratio']), ...table.map(line)];
  for (const target of [report.server, report.baseline]) {
    if (target?.error) out.push(`${target.target} FAILED: ${target.error}`);
    else if (target?.mutations.errorSamples.length) out.push(`${target.target} mutation errors: ${target.mutations.errorSamples.join(' | ')}`);
    if (target?.delivery.screenErrors.length) out.push(`${target.target} screen errors: ${target.delivery.screenErrors.join(' | ')}`);
  }
  out.push(...bySecond(report), ...runLines(report));
  if (report.targets.length) {
    out.push('targets (server):');
    for (const t of report.targets) out.push(`  ${t.met ? 'MET   ' : 'MISSED'} ${t.name}: ${t.value ?? '-'} (${t.limit})`);
  }
  for (const note of report.notes) out.push(`note: ${note}`);
  return out.join('\n');
}

export function renderMarkdown(report: WorkloadReport): string {
  const out = [
    `### \`${report.workload}\`: ${report.description}`,
    '',
    `${report.date}, \`${report.command}\``,
    '',
    '| | server | baseline | server / baseline |',
    '| --- | ---: | ---: | ---: |',
    ...rows(report).map((r) => `| ${r.join(' | ')} |`),
  ];
  if (report.targets.length) {
    out.push('', 'Targets (server):', '');
    for (const t of report.targets) out.push(`- ${t.met ? 'met' : '**missed**'}: ${t.name} = ${t.value ?? '-'} (target ${t.limit})`);
  }
  const seconds = [...bySecond(report), ...runLines(report), ...everyRunBySecond(report)];
  if (seconds.length) out.push('', ...seconds.flatMap((line) => [line, '']).slice(0, -1));
  if (report.server?.sql) {
    out.push('', `SQL during traffic (server): ${fmtCounts(report.server.sql.traffic.byKey)}`);
    if (report.baseline?.sql) out.push(`SQL during traffic (baseline): ${fmtCounts(report.baseline.sql.traffic.byKey)}`);
  }
  for (const note of report.notes) out.push('', `Note: ${note}`);
  return out.join('\n');
}

/** A run's delivery p50/p99 (ms) for each second of traffic, in one line (none without traffic). */
function secondsLine(label: string, run: TargetResult | undefined): string[] {
  const seconds = run?.delivery?.bySecond;
  if (!seconds?.length) return [];
  const cells = seconds.map((s) => (s.count ? `${Math.round(s.p50!)}/${Math.round(s.p99!)}` : '-'));
  return [`${label} delivery p50/p99 (ms) by second of traffic: ${cells.join(' ')}`];
}

/** Each target's shown run, by second. */
function bySecond(report: WorkloadReport): string[] {
  return [report.server, report.baseline].flatMap((run) => secondsLine(run?.target ?? '', run));
}

/** With --repeat, every run by second, in the order they ran. */
function everyRunBySecond(report: WorkloadReport): string[] {
  return Object.entries(report.runs ?? {}).flatMap(([target, list]) => list.flatMap((run, i) => secondsLine(`${target} run ${i + 1}:`, run)));
}

const fmtCounts = (byKey: Record<string, number>) =>
  Object.entries(byKey)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
