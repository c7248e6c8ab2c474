/**
 * What one owner's retained heap is made of (issue 21, session 20): every object it dominates in a
 * V8 heap snapshot, summed by the path of property names from the owner (numbers as `#`) and kind.
 *   node --max-old-space-size=6000 bench/probe/heap-owner-paths.mjs A.heapsnapshot 'object:CachedReader' [DEPTH=5] [ROWS=40]
 * The owner is given as bench/probe/heap-dominators.mjs prints it (the largest such object is taken).
 */
import { readFileSync } from 'node:fs';
const snap = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const m = snap.snapshot.meta; const nf = m.node_fields; const N = nf.length; const ef = m.edge_fields; const E = ef.length;
const types = m.node_types[0]; const etypes = m.edge_types[0]; const S = snap.strings; const nodes = snap.nodes; const edges = snap.edges;
const ti = nf.indexOf('type'), ni = nf.indexOf('name'), si = nf.indexOf('self_size'), eci = nf.indexOf('edge_count');
const n = nodes.length / N;
const fe = new Uint32Array(n + 1);
for (let i = 0; i < n; i++) fe[i + 1] = fe[i] + nodes[i * N + eci];
const strong = (e) => etypes[edges[e * E]] !== 'weak';
// postorder DFS
const po = new Int32Array(n).fill(-1); const order = []; const vis = new Uint8Array(n);
const st = [0], it = [fe[0]]; vis[0] = 1;
while (st.length) { const i = st[st.length - 1]; let e = it[it.length - 1];
  while (e < fe[i + 1] && (!strong(e) || vis[edges[e * E + 2] / N])) e++;
  if (e < fe[i + 1]) { it[it.length - 1] = e + 1; const to = edges[e * E + 2] / N; vis[to] = 1; st.push(to); it.push(fe[to]); }
  else { st.pop(); it.pop(); po[i] = order.length; order.push(i); } }
const R = order.length; // reachable
// predecessors
const pc = new Uint32Array(n + 1);
for (let i = 0; i < n; i++) if (vis[i]) for (let e = fe[i]; e < fe[i + 1]; e++) if (strong(e)) pc[edges[e * E + 2] / N + 1]++;
for (let i = 0; i < n; i++) pc[i + 1] += pc[i];
const pr = new Uint32Array(pc[n]); const fill = pc.slice(0, n);
for (let i = 0; i < n; i++) if (vis[i]) for (let e = fe[i]; e < fe[i + 1]; e++) if (strong(e)) { const to = edges[e * E + 2] / N; pr[fill[to]++] = i; }
const idom = new Int32Array(n).fill(-1); idom[0] = 0;
const inter = (a, b) => { while (a !== b) { while (po[a] < po[b]) a = idom[a]; while (po[b] < po[a]) b = idom[b]; } return a; };
let changed = true, passes = 0;
while (changed) { changed = false; passes++;
  for (let k = R - 2; k >= 0; k--) { const b = order[k]; let nd = -1;
    for (let j = pc[b]; j < pc[b + 1]; j++) { const p = pr[j]; if (idom[p] < 0) continue; nd = nd < 0 ? p : inter(p, nd); }
    if (nd >= 0 && idom[b] !== nd) { idom[b] = nd; changed = true; } } }
const ret = new Float64Array(n);
for (let k = 0; k < R; k++) { const i = order[k]; ret[i] += nodes[i * N + si]; if (i !== 0) ret[idom[i]] += ret[i]; }
const label = (i) => `${types[nodes[i * N + ti]]}:${S[nodes[i * N + ni]].slice(0, 50).replace(/\n/g, ' ')}`;
const en = ef.indexOf('name_or_index');
const want = process.argv[3];
const target = [...Array(n).keys()].filter((i) => vis[i] && label(i) === want).sort((a, b) => ret[b] - ret[a])[0];
if (target === undefined) throw new Error(`no ${want} in the snapshot`);
console.log(want, 'retains', (ret[target] / 1e6).toFixed(2), 'MB');
/** The name of the edge from a node's dominator to it, when the dominator refers to it directly. */
function edgeName(i) {
  const d = idom[i];
  for (let e = fe[d]; e < fe[d + 1]; e++)
    if (edges[e * E + 2] / N === i) {
      const t = etypes[edges[e * E]];
      return t === 'element' || t === 'hidden' ? `[${t}]` : String(S[edges[e * E + en]]).replace(/^\d+$/, '#');
    }
  return '(indirect)';
}
const kids = new Map();
for (let k = 0; k < R; k++) { const i = order[k]; if (i !== 0) (kids.get(idom[i]) ?? kids.set(idom[i], []).get(idom[i])).push(i); }
const depth = Number(process.argv[4] ?? 5);
const sums = new Map();
const stack = [[target, '']];
while (stack.length) {
  const [i, path] = stack.pop();
  for (const c of kids.get(i) ?? []) {
    const p = path.split('/').length <= depth ? `${path}/${edgeName(c)}` : path;
    const key = `${p}  <${types[nodes[c * N + ti]]}>`;
    const s = sums.get(key) ?? [0, 0];
    s[0] += nodes[c * N + si];
    s[1]++;
    sums.set(key, s);
    stack.push([c, p]);
  }
}
for (const [k, [bytes, count]] of [...sums].sort((a, b) => b[1][0] - a[1][0]).slice(0, Number(process.argv[5] ?? 40)))
  console.log(`${(bytes / 1e6).toFixed(2).padStart(6)} MB ${String(count).padStart(7)}  ${k}`);
