/**
 * Self sizes of a V8 heap snapshot by kind (`type:constructor`; strings by string kind), as JSON,
 * or the difference of two such summaries (issue 21, session 20: what grows with the studies stored).
 *   node --max-old-space-size=4000 bench/probe/heap-by-kind.mjs A.heapsnapshot > a.json
 *   node bench/probe/heap-by-kind.mjs --diff a.json b.json     (largest growth first)
 * Snapshots: bench/probe/heap-dominators.mjs tells how to take them.
 */
import { readFileSync } from 'node:fs';

if (process.argv[2] === '--diff') {
  const a = JSON.parse(readFileSync(process.argv[3], 'utf8'));
  const b = JSON.parse(readFileSync(process.argv[4], 'utf8'));
  const total = (o) => Object.values(o).reduce((s, v) => s + v[0], 0);
  console.log('total MB', (total(a) / 1e6).toFixed(1), '->', (total(b) / 1e6).toFixed(1));
  const rows = [...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [
    k,
    (b[k]?.[0] ?? 0) - (a[k]?.[0] ?? 0),
    (b[k]?.[1] ?? 0) - (a[k]?.[1] ?? 0),
  ]);
  rows.sort((x, y) => y[1] - x[1]);
  for (const [k, bytes, count] of rows.slice(0, 30))
    console.log(`${(bytes / 1e6).toFixed(2).padStart(7)} MB ${String(count).padStart(8)} objects  ${k}`);
} else {
  const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const m = snap.snapshot.meta;
  const nf = m.node_fields;
  const N = nf.length;
  const types = m.node_types[0];
  const ti = nf.indexOf('type');
  const ni = nf.indexOf('name');
  const si = nf.indexOf('self_size');
  const kinds = new Map();
  for (let i = 0; i < snap.nodes.length; i += N) {
    const t = types[snap.nodes[i + ti]];
    const name = t.includes('string') ? t : `${t}:${snap.strings[snap.nodes[i + ni]]}`.slice(0, 80);
    const k = kinds.get(name) ?? [0, 0];
    k[0] += snap.nodes[i + si];
    k[1]++;
    kinds.set(name, k);
  }
  console.log(JSON.stringify(Object.fromEntries(kinds)));
}
