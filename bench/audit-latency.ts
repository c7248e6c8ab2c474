/**
 * Audit record() latency and event-loop blocking on this machine:
 * `node --import tsx bench/audit-latency.ts [DIR]` (DIR: where the temporary data folder goes).
 * 1 caller in a loop, then 50 concurrent callers in waves; prints record() p50/p95/p99 and,
 * for each phase, the event-loop delay (monitorEventLoopDelay p50/p99/max; with a 1 ms timer, so
 * about 1 ms is the floor) and utilisation. The `floor` lines run the same callers against a sink
 * that only builds the record (canonical JSON) and acknowledges on the next turn: what the
 * benchmark itself costs the loop, without any storage.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { buildAuditEvents } from '../src/audit/balp/build.js';
import { canonicalJson } from '../src/audit/canonical-json.js';
import { GOLDEN_CASES } from '../src/audit/balp/test-support.js';
import { openAuditLog } from '../src/audit/open.js';

const root = mkdtempSync(join(process.argv[2] ?? tmpdir(), 'ib-audit-latency-'));
const log = openAuditLog({
  dataDir: join(root, 'data'),
  keyFile: join(root, 'audit-key'),
  logger: { error() {}, warn() {}, info() {} },
});
const template = buildAuditEvents(GOLDEN_CASES['fhir-read-observation']!)[0]!;

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!.toFixed(2);
const floorSink = {
  record: (e: typeof template) => {
    canonicalJson({ ...e, id: 'x' });
    return new Promise<void>((resolve) => setImmediate(resolve));
  },
};
let sink: { record(e: typeof template): Promise<void> } = log.sink;
const timed = async () => {
  const t0 = performance.now();
  await sink.record({ ...template });
  return performance.now() - t0;
};

async function run(concurrency: number, waves: number, label = ''): Promise<void> {
  const times: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  const elu0 = performance.eventLoopUtilization();
  loop.enable();
  const t0 = performance.now();
  for (let w = 0; w < waves; w++) times.push(...(await Promise.all(Array.from({ length: concurrency }, timed))));
  const secs = (performance.now() - t0) / 1000;
  loop.disable();
  const elu = performance.eventLoopUtilization(elu0);
  const ms = (ns: number) => (ns / 1e6).toFixed(2);
  console.log(
    `${label}${concurrency} concurrent: n=${times.length} record() p50=${pct(times, 50)} p95=${pct(times, 95)} p99=${pct(times, 99)} ms; ${(times.length / secs).toFixed(0)} records/s; ` +
      `event-loop delay p50=${ms(loop.percentile(50))} p99=${ms(loop.percentile(99))} max=${ms(loop.max)} ms; utilisation ${(elu.utilization * 100).toFixed(0)}%`,
  );
}

await timed(); // start-up (worker, statements) out of the figures
await run(1, 300);
await run(50, 40);
sink = floorSink;
await run(50, 40, 'floor ');
await log.close();
rmSync(root, { recursive: true, force: true });
