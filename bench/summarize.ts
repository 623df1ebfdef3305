/**
 * `npx tsx bench/summarize.ts [result.json ...]`: the Performance tables in markdown, from result
 * files (default: the newest bench/results/<workload>-*.json of each workload). RESULTS.md is
 * written from its output.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/child.js';
import { renderMarkdown, type WorkloadReport } from './lib/report.js';
import { WORKLOAD_NAMES } from './lib/workloads.js';

const dir = join(ROOT, 'bench/results');
let files = process.argv.slice(2);
if (files.length === 0) {
  const all = readdirSync(dir).filter((f) => f.endsWith('.json'));
  files = WORKLOAD_NAMES.flatMap((w) => {
    const newest = all.filter((f) => f.startsWith(`${w}-`)).sort().at(-1);
    return newest ? [join(dir, newest)] : [];
  });
}
const reports = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as WorkloadReport);

const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '-' : `${v}${unit}`);
const r = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${v}x`);

const lines: string[] = [];
const machine = reports[0]?.machine as Record<string, unknown> | undefined;
if (machine) {
  lines.push(
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGB} GB; Node ${machine.node}, PostgreSQL ${machine.postgres}, Redis ${machine.redis}.`,
    '',
  );
}
lines.push(
  '| workload | figure | server | baseline | server / baseline |',
  '| --- | --- | ---: | ---: | ---: |',
);
for (const report of reports) {
  const s = report.server;
  const b = report.baseline;
  if (!s || !b) continue;
  const row = (figure: string, sv: string, bv: string, ratio: string) => lines.push(`| ${report.workload} | ${figure} | ${sv} | ${bv} | ${ratio} |`);
  if (report.workload !== 'idle') {
    row('mutations/s', fmt(s.mutations.perSecond), fmt(b.mutations.perSecond), r(report.ratios.mutationsPerSecond));
    row('mutation p50 / p99 (ms)', `${fmt(s.mutations.latencyMs.p50)} / ${fmt(s.mutations.latencyMs.p99)}`, `${fmt(b.mutations.latencyMs.p50)} / ${fmt(b.mutations.latencyMs.p99)}`, `${r(report.ratios.mutationP50)} / ${r(report.ratios.mutationP99)}`);
    row(
      'delivery p50 / p99 / p99.9 (ms)',
      `${fmt(s.delivery.latencyMs.p50)} / ${fmt(s.delivery.latencyMs.p99)} / ${fmt(s.delivery.latencyMs.p999)}`,
      `${fmt(b.delivery.latencyMs.p50)} / ${fmt(b.delivery.latencyMs.p99)} / ${fmt(b.delivery.latencyMs.p999)}`,
      `${r(report.ratios.deliveryP50)} / ${r(report.ratios.deliveryP99)} / ${r(report.ratios.deliveryP999)}`,
    );
    row('deliveries/s', fmt(s.delivery.perSecond), fmt(b.delivery.perSecond), r(report.ratios.deliveriesPerSecond));
    row(
      'lost / duplicated / out of order (of expected)',
      `${s.delivery.lost} / ${s.delivery.duplicated} / ${s.delivery.outOfOrder} (of ${s.delivery.expected})`,
      `${b.delivery.lost} / ${b.delivery.duplicated} / ${b.delivery.outOfOrder} (of ${b.delivery.expected})`,
      '',
    );
    row('server CPU s per 1,000 mutations', fmt(s.cpu.perThousandMutationsS), fmt(b.cpu.perThousandMutationsS), r(report.ratios.cpuPerThousandMutations));
    const pauses = (t: typeof s.traffic) =>
      t ? `${t.loopDelayP99Ms} / ${t.loopDelayMaxMs}; ${t.gcTotalMs} / ${t.gcMaxMs}` : '-';
    row('traffic: event-loop delay p99 / max; GC pauses total / longest (ms)', pauses(s.traffic), pauses(b.traffic), '');
  }
  row('screens connected; all connected in (ms)', `${s.screens.connected}; ${s.screens.connectWallMs}`, `${b.screens.connected}; ${b.screens.connectWallMs}`, r(report.ratios.connectWall));
  if (report.workload === 'idle') {
    row('RSS / heap per subscribed screen (KB)', `${fmt(s.memory.rssPerScreenKB)} / ${fmt(s.memory.heapPerScreenKB)}`, `${fmt(b.memory.rssPerScreenKB)} / ${fmt(b.memory.heapPerScreenKB)}`, `${r(report.ratios.rssPerScreen)} / ${r(report.ratios.heapPerScreen)}`);
    row('RSS with all screens (MB)', fmt(s.memory.rssAfterScreensMB), fmt(b.memory.rssAfterScreensMB), '');
    row('CPU s to connect them all', fmt(s.cpu.connectS), fmt(b.cpu.connectS), '');
  }
  if (s.sql && b.sql) row('SQL statements per mutation', fmt(s.sql.perMutation), fmt(b.sql.perMutation), '');
  if (s.storm && b.storm) {
    row('all screens caught up after the reconnect (ms)', fmt(s.storm.allCaughtUpMs), fmt(b.storm.allCaughtUpMs), r(report.ratios.stormCatchUp));
    row('resumed with a SNAPSHOT instead of a replay', String(s.storm.resumedWithSnapshot), String(b.storm.resumedWithSnapshot), '');
    row('SQL statements per resumed screen beyond the mutations', fmt(s.storm.extraStatementsPerScreen), fmt(b.storm.extraStatementsPerScreen), '');
  }
}
lines.push('', '#### Targets (server)', '');
for (const report of reports) {
  for (const t of report.targets) lines.push(`- \`${report.workload}\`: ${t.met ? 'met' : '**missed**'}: ${t.name} = ${t.value ?? '-'} (target ${t.limit})`);
}
lines.push('', '#### Each run', '');
for (const report of reports) lines.push(renderMarkdown(report), '');
console.log(lines.join('\n'));
