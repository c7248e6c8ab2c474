/**
 * Retained sizes of a V8 heap snapshot, as a dominator tree (issue 21, session 17): what keeps the
 * live heap alive, by owner, without DevTools. Take the snapshot with
 * `bench/cstore-cpu.ts --node-arg=--heapsnapshot-signal=SIGUSR2 --node-arg=--diagnostic-dir=DIR`
 * and `kill -USR2 <server pid>` at the moment wanted, then:
 *   node --max-old-space-size=6000 bench/probe/heap-dominators.mjs DIR/Heap.*.heapsnapshot [MIN_BYTES]
 * Prints the tree of objects retaining more than MIN_BYTES (default 800 kB), weak edges ignored.
 */
import { dominatorTree } from './heap-dominator-tree.mjs';
const { N, ef, E, types, etypes, S, nodes, edges, ti, ni, si, n, fe, strong, order, vis, R, idom, passes, ret, label } = dominatorTree(process.argv[2], 60);
console.log('passes', passes, 'root', (ret[0] / 1e6).toFixed(1));
// print tree top: children of root sorted, depth 4, only > 0.5MB
const kids = new Map(); for (let k = 0; k < R; k++) { const i = order[k]; if (i === 0) continue; const d = idom[i]; (kids.get(d) ?? kids.set(d, []).get(d)).push(i); }
const min = Number(process.argv[3] ?? 0.8e6);
function show(i, d) { if (d > 9) return; for (const c of (kids.get(i) ?? []).filter((c) => ret[c] > min).sort((a, b) => ret[b] - ret[a])) { console.log(' '.repeat(d * 2) + (ret[c] / 1e6).toFixed(2), label(c)); show(c, d + 1); } }
show(0, 0);
