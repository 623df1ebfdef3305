/**
 * `npx tsx bench/heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> [--per N] [--top N]`:
 * what a heap gained between two snapshots, by node type and constructor (self sizes), divided by
 * N (e.g. the screens connected in between) to read as bytes per screen.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

function aggregate(file: string): Map<string, { count: number; size: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { count: number; size: number }>();
  for (let i = 0; i < snap.nodes.length; i += width) {
    const type = types[snap.nodes[i + typeAt]!]!;
    let name = type === 'object' || type === 'closure' || type === 'native' || type === 'hidden' ? snap.strings[snap.nodes[i + nameAt]!]! : '';
    if (name.length > 60) name = name.slice(0, 60) + '...';
    const key = `${type}${name ? ` ${name}` : ''}`;
    const entry = out.get(key) ?? { count: 0, size: 0 };
    entry.count += 1;
    entry.size += snap.nodes[i + sizeAt]!;
    out.set(key, entry);
  }
  return out;
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { per: { type: 'string', default: '1' }, top: { type: 'string', default: '40' } } });
const [beforeFile, afterFile] = positionals;
if (!beforeFile || !afterFile) {
  console.error('usage: tsx bench/heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> [--per N] [--top N]');
  process.exit(2);
}
const per = Number(values.per);
const before = aggregate(beforeFile);
const after = aggregate(afterFile);
const rows = [...after.entries()].map(([key, a]) => {
  const b = before.get(key) ?? { count: 0, size: 0 };
  return { key, count: (a.count - b.count) / per, size: (a.size - b.size) / per };
});
const total = rows.reduce((sum, r) => sum + r.size, 0);
console.log(`self size gained: ${(total / 1024).toFixed(2)} KB per unit (${per} units)`);
for (const r of rows.sort((x, y) => y.size - x.size).slice(0, Number(values.top))) {
  console.log(`${r.size.toFixed(0).padStart(8)} B ${r.count.toFixed(2).padStart(7)} objs  ${r.key}`);
}
