/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--filter TEXT] [--last S]`: where a V8 CPU
 * profile (node --cpu-prof; `npm run bench -- --cpu-prof` writes them) spent its time: self time
 * by function and by package, and inclusive (total) time by function.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, filter: { type: 'string' }, last: { type: 'string' }, skip: { type: 'string' } },
});
const file = positionals[0];
if (!file) {
  console.error('usage: tsx bench/profile-summary.ts <file.cpuprofile> [--top N] [--filter TEXT] [--last S | --skip S]');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/.*\/node_modules\//, 'nm:')
    .replace(/.*\/work\/main\//, '');
const packageOf = (url: string) => {
  if (!url) return '(native/vm)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  return shortUrl(url).split('/').slice(0, 2).join('/');
};
const keyOf = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'} ${shortUrl(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const packages = new Map<string, number>();
let total = 0;
// --last S: only the last S seconds (the measured phase, not the start-up); --skip S: not the first S.
const span = profile.timeDeltas.reduce((sum, d) => sum + d, 0);
const from = values.last !== undefined ? span - Number(values.last) * 1e6 : Number(values.skip ?? 0) * 1e6;
let clock = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const delta = profile.timeDeltas[i] ?? 0;
  clock += delta;
  if (clock < from) continue;
  const leaf = byId.get(profile.samples[i]!)!;
  total += delta;
  const k = keyOf(leaf);
  self.set(k, (self.get(k) ?? 0) + delta);
  const pkg = leaf.callFrame.functionName === '(garbage collector)' ? '(gc)' : packageOf(leaf.callFrame.url);
  packages.set(pkg, (packages.get(pkg) ?? 0) + delta);
  const onStack = new Set<string>();
  for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) onStack.add(keyOf(byId.get(id)!));
  for (const key of onStack) inclusive.set(key, (inclusive.get(key) ?? 0) + delta);
}

const idle = [...self.entries()].filter(([k]) => k.startsWith('(idle)')).reduce((s, [, v]) => s + v, 0);
const busy = total - idle;
const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
const show = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  const rows = [...map.entries()]
    .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)') && (!values.filter || k.includes(values.filter)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  for (const [key, us] of rows) console.log(`${ms(us)} ${pct(us)}  ${key}`);
};

console.log(`${file}\nwall ${(total / 1e6).toFixed(1)} s, busy ${(busy / 1e6).toFixed(1)} s (${((busy / total) * 100).toFixed(0)}%)`);
show('self time by package (% of busy)', packages);
show('self time by function', self);
show('total (inclusive) time by function', inclusive);
