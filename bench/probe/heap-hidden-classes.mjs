/**
 * Objects that each have a hidden class (V8 map) of their own, by their property names (issue 21,
 * session 20: 5,000 worklist scores made by `{ ...base, terms, … }` had 5,000 maps, ≈ 1.3 MB).
 *   node --max-old-space-size=6000 bench/probe/heap-hidden-classes.mjs A.heapsnapshot [MIN_MAPS=200]
 * Prints, per property list, how many maps and objects have it and the maps' bytes.
 */
import { readFileSync } from 'node:fs';
const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const m = snap.snapshot.meta; const nf = m.node_fields; const N = nf.length; const ef = m.edge_fields; const E = ef.length;
const types = m.node_types[0]; const etypes = m.edge_types[0]; const S = snap.strings; const nodes = snap.nodes; const edges = snap.edges;
const ti = nf.indexOf('type'), ni = nf.indexOf('name'), si = nf.indexOf('self_size'), eci = nf.indexOf('edge_count');
const n = nodes.length / N; const fe = new Uint32Array(n + 1);
for (let i = 0; i < n; i++) fe[i + 1] = fe[i] + nodes[i * N + eci];
const perMap = new Map(); const propsOf = new Map();
for (let i = 0; i < n; i++) {
  if (types[nodes[i * N + ti]] !== 'object') continue;
  let map = -1; const props = [];
  for (let e = fe[i]; e < fe[i + 1]; e++) { const t = etypes[edges[e * E]]; const nm = edges[e * E + 1];
    if (t === 'internal' && S[nm] === 'map') map = edges[e * E + 2] / N;
    else if (t === 'property') props.push(S[nm]); }
  if (map < 0) continue;
  perMap.set(map, (perMap.get(map) ?? 0) + 1); propsOf.set(map, props.join(','));
}
const agg = new Map();
for (const [map, c] of perMap) { const k = propsOf.get(map); const a = agg.get(k) ?? [0, 0, 0]; a[0]++; a[1] += c; a[2] += nodes[map * N + si]; agg.set(k, a); }
for (const [k, a] of [...agg].filter(([, a]) => a[0] > Number(process.argv[3] ?? 200)).sort((x, y) => y[1][0] - x[1][0]).slice(0, 15)) console.log('maps', a[0], 'objects', a[1], 'mapbytes', a[2], '|', k.slice(0, 150));
