// Busy stretches (consecutive non-idle samples) in a .cpuprofile, attributed by code area.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const area = new Map();
const areaOf = (id) => {
  if (area.has(id)) return area.get(id);
  const areas = [];
  for (let x = id; x !== undefined; x = parent.get(x)) {
    const u = byId.get(x).callFrame.url;
    const f = byId.get(x).callFrame.functionName;
    const m = /dist\/(\w+)\/(\w[\w-]*)/.exec(u);
    if (m) areas.push(m[1] === 'bridge' ? 'bridge' : m[1] === 'fhir' ? 'fhir' : m[1] === 'dimse' ? 'dimse' : m[1] === 'archive' ? 'archive:' + m[2] : m[1]);
    if (f === '(garbage collector)') areas.push('gc');
  }
  // outermost known area is the driver
  const a = areas.length ? areas[areas.length - 1] : byId.get(id).callFrame.functionName || '?';
  area.set(id, a);
  return a;
};
let t = p.startTime;
const stretches = [];
let cur = null;
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  const n = byId.get(p.samples[i]);
  const idle = n.callFrame.functionName === '(idle)';
  if (idle) { if (cur) { stretches.push(cur); cur = null; } continue; }
  if (!cur) cur = { start: t, end: t, areas: new Map() };
  cur.end = t;
  const a = areaOf(n.id);
  cur.areas.set(a, (cur.areas.get(a) ?? 0) + p.timeDeltas[i] / 1000);
}
const dur = (s) => (s.end - s.start) / 1000;
const all = stretches.map(dur);
const total = all.reduce((a, b) => a + b, 0);
for (const lim of [5, 10, 20]) {
  const long = stretches.filter((s) => dur(s) > lim);
  const sum = new Map();
  for (const s of long) {
    // the stretch's main area (largest share)
    const top = [...s.areas].sort((a, b) => b[1] - a[1])[0][0];
    sum.set(top, (sum.get(top) ?? 0) + 1);
  }
  console.log(`stretches > ${lim} ms: ${long.length}, ${long.reduce((a, s) => a + dur(s), 0).toFixed(0)} ms of ${total.toFixed(0)} busy; led by`, Object.fromEntries([...sum].sort((a, b) => b[1] - a[1])));
}
const agg = new Map();
for (const s of stretches.filter((s) => dur(s) > 5)) for (const [a, ms] of s.areas) agg.set(a, (agg.get(a) ?? 0) + ms);
console.log('ms by area inside stretches > 5 ms:', Object.fromEntries([...agg].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([a, m]) => [a, Math.round(m)])));
