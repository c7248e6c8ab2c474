/**
 * What one owner's retained heap is made of (issue 21, session 20): every object it dominates in a
 * V8 heap snapshot, summed by the path of property names from the owner (numbers as `#`) and kind.
 *   node --max-old-space-size=6000 bench/probe/heap-owner-paths.mjs A.heapsnapshot 'object:CachedReader' [DEPTH=5] [ROWS=40]
 * The owner is given as bench/probe/heap-dominators.mjs prints it (the largest such object is taken).
 */
import { dominatorTree } from './heap-dominator-tree.mjs';
const { N, ef, E, types, etypes, S, nodes, edges, ti, ni, si, n, fe, strong, order, vis, R, idom, passes, ret, label } = dominatorTree(process.argv[2], 50);
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
