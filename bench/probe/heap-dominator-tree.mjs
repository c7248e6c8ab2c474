/**
 * A V8 heap snapshot read whole, with its dominator tree (weak edges ignored) and each node's
 * retained size: shared by heap-dominators.mjs and heap-owner-paths.mjs.
 */
import { readFileSync } from 'node:fs';

export function dominatorTree(file, labelWidth = 60) {
  const snap = JSON.parse(readFileSync(file, 'utf8'));
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
  const label = (i) => `${types[nodes[i * N + ti]]}:${S[nodes[i * N + ni]].slice(0, labelWidth).replace(/\n/g, ' ')}`;
  return { snap, m, nf, N, ef, E, types, etypes, S, nodes, edges, ti, ni, si, eci, n, fe, strong, po, order, vis, R, pc, pr, idom, passes, ret, label };
}
