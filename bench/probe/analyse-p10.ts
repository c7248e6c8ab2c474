/**
 * `node --import tsx bench/probe/analyse-p10.ts <IB_BENCH_PROBE folder>`: what the P10 probe saw in
 * each timed GET run — client latency split into the server's handler time and the rest (queueing
 * before the server's JS sees the request, the response's way back, the client), event-loop delay,
 * GC pauses, per-thread CPU and run-queue wait, cache lookups, and how the slow requests spread
 * over the run (tenths of the run).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { percentile } from '../stats.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: analyse-p10.ts <probe folder>');
const files = readdirSync(dir);
const load = (prefix: string) => JSON.parse(readFileSync(join(dir, files.find((f) => f.startsWith(prefix))!), 'utf8'));
const client = load('client-') as {
  marks: [string, number, number][];
  gets: [string, number, number, string][];
  cpu: { user: number; system: number };
};
const server = load('server-') as {
  requests: [string, number, number, number, number][];
  bins: [number, number, number, number, number][];
  gcs: [number, number, number][];
  heap: [string, number, number, number][];
  threads: [number, [number, number, number][]][];
  names: [string, { comm: string; nice: number }][];
};
const seen = new Map(server.requests.map(([id, s, e, a, am]) => [id, { s, e, a, am }]));
const mark = new Map(client.marks.map(([l, t]) => [l, t]));
const markCpu = new Map(client.marks.map(([l, , c]) => [l, c]));
const f1 = (n: number) => n.toFixed(1);
const q = (xs: number[]) =>
  xs.length ? `p50 ${f1(percentile(xs, 50))} p95 ${f1(percentile(xs, 95))} max ${f1(Math.max(...xs))}` : '-';

for (const [label] of client.marks.filter(([l]) => /^run\d+$/.test(l))) {
  const from = mark.get(label)!;
  const to = mark.get(`${label}-end`)!;
  const gets = client.gets.filter(([tag]) => tag.startsWith(`${label}:`));
  const total = gets.map((g) => g[2]);
  const p95 = percentile(total, 95);
  const handler: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  const slowHandler: number[] = [];
  const slowBefore: number[] = [];
  const compute: number[] = [];
  const audit: number[] = [];
  const slowCompute: number[] = [];
  const slowAudit: number[] = [];
  for (const [tag, sent, ms] of gets) {
    const s = seen.get(tag);
    if (!s) continue;
    handler.push(s.e - s.s);
    if (s.a) {
      compute.push(s.a - s.s);
      audit.push(s.am);
      if (ms >= p95) {
        slowCompute.push(s.a - s.s);
        slowAudit.push(s.am);
      }
    }
    before.push(s.s - sent);
    after.push(sent + ms - s.e);
    if (ms >= p95) {
      slowHandler.push(s.e - s.s);
      slowBefore.push(s.s - sent);
    }
  }
  console.log(
    `== ${label}: ${gets.length} GETs over ${f1((to - from) / 1000)} s (${f1(gets.length / ((to - from) / 1000))}/s)`,
  );
  console.log(`client total        ${q(total)}`);
  console.log(`server handler      ${q(handler)}`);
  console.log(`  … until the audit record is asked for ${q(compute)}`);
  console.log(`  … waiting for the durable audit record ${q(audit)}`);
  console.log(`send → server sees  ${q(before)}`);
  console.log(`server end → client ${q(after)}`);
  console.log(`slowest 5%: handler ${q(slowHandler)}; before ${q(slowBefore)}`);
  console.log(`slowest 5%: until audit asked ${q(slowCompute)}; audit wait ${q(slowAudit)}`);
  // Slow requests over time: tenths of the run.
  const tenths = Array.from({ length: 10 }, () => ({ n: 0, slow: 0, sum: 0 }));
  for (const [, sent, ms] of gets) {
    const t = tenths[Math.min(9, Math.floor(((sent - from) / (to - from)) * 10))]!;
    t.n++;
    t.sum += ms;
    if (ms >= p95) t.slow++;
  }
  console.log(`per tenth: requests ${tenths.map((t) => t.n).join(' ')}`);
  console.log(`per tenth: ≥p95     ${tenths.map((t) => t.slow).join(' ')}`);
  console.log(`per tenth: mean ms  ${tenths.map((t) => (t.n ? t.sum / t.n : 0).toFixed(0)).join(' ')}`);
  const bins = server.bins.filter(([t]) => t >= from && t <= to);
  console.log(`event-loop delay per 100 ms bin (max): ${q(bins.map((b) => b[1]))}`);
  console.log(
    `cache lookups: hits ${bins.reduce((a, b) => a + b[3], 0)}, misses ${bins.reduce((a, b) => a + b[4], 0)} (bins with misses: ${bins.filter((b) => b[4] > 0).length}/${bins.length})`,
  );
  const gcs = server.gcs.filter(([t]) => t >= from && t <= to);
  const kinds = new Map<number, { n: number; ms: number; max: number }>();
  for (const [, d, k] of gcs) {
    const x = kinds.get(k) ?? { n: 0, ms: 0, max: 0 };
    x.n++;
    x.ms += d;
    x.max = Math.max(x.max, d);
    kinds.set(k, x);
  }
  console.log(
    `GC: ${[...kinds].map(([k, x]) => `kind ${k}: ${x.n}× total ${f1(x.ms)} ms max ${f1(x.max)} ms`).join('; ')} (${f1((gcs.reduce((a, g) => a + g[1], 0) / (to - from)) * 100)}% of wall)`,
  );
  // Requests overlapping a GC pause.
  let inGc = 0;
  for (const [tag] of gets.filter((g) => g[2] >= p95)) {
    const s = seen.get(tag);
    if (s && gcs.some(([t, d]) => t < s.e && t + d > s.s)) inGc++;
  }
  // Allocation between GCs: heap used before a GC minus after the previous one (GCProfiler, same order as gcs).
  const idx = server.gcs.map(([t], i) => ({ t, i })).filter(({ t }) => t >= from && t <= to);
  let allocated = 0;
  for (const { i } of idx)
    if (i > 0 && server.heap[i] && server.heap[i - 1]) allocated += server.heap[i]![2] - server.heap[i - 1]![3];
  const last = idx.at(-1);
  console.log(
    `allocated between GCs in the run: ${f1(allocated / 2 ** 20)} MB (${f1(allocated / gets.length / 1024)} KB per GET); heap after the last GC ${last && server.heap[last.i] ? f1(server.heap[last.i]![3] / 2 ** 20) : '?'} MB`,
  );
  console.log(
    `bench process CPU over the run: ${f1(markCpu.get(`${label}-end`)! - markCpu.get(label)!)} ms (${((markCpu.get(`${label}-end`)! - markCpu.get(label)!) / gets.length).toFixed(2)} ms per GET)`,
  );
  console.log(`slowest 5% overlapping a GC pause: ${inGc} of ${gets.filter((g) => g[2] >= p95).length}`);
  // Per-thread CPU and run-queue wait over the run.
  const firstSample = server.threads.find(([t]) => t >= from);
  const lastSample = [...server.threads].reverse().find(([t]) => t <= to);
  if (firstSample && lastSample) {
    const first = firstSample;
    const last = lastSample;
    const secs = (last[0] - first[0]) / 1000;
    const start = new Map(first[1].map(([tid, run, wait]) => [tid, { run, wait }]));
    const names = new Map(server.names);
    const rows = last[1]
      .map(([tid, run, wait]) => {
        const a = start.get(tid) ?? { run: 0, wait: 0 };
        const n = names.get(String(tid));
        const started = n && 'first' in n ? `, first seen ${f1(((n as { first: number }).first - from) / 1000)} s` : '';
        return {
          tid,
          name: `${n?.comm ?? '?'} nice ${n?.nice ?? '?'}${started}`,
          run: (run - a.run) / 1e3,
          wait: (wait - a.wait) / 1e3,
        };
      })
      .filter((r) => r.run > 1)
      .sort((a, b) => b.run - a.run);
    console.log(`threads over ${f1(secs)} s (ms on CPU / ms runnable waiting; per GET):`);
    for (const r of rows)
      console.log(
        `  ${r.tid} ${r.name}: ${f1(r.run)} / ${f1(r.wait)} ms; ${(r.run / gets.length).toFixed(2)} / ${(r.wait / gets.length).toFixed(2)} ms per GET`,
      );
  }
}
console.log(`bench process CPU (whole run): ${f1((client.cpu.user + client.cpu.system) / 1e3)} ms`);
