/**
 * Server CPU per QIDO-RS request on an index that is already loaded (no fixture built here):
 * one or more builds' servers started side by side on the same PostgreSQL database (a SCALE
 * load: `node --import tsx bench/scale-index.ts --database URL`), the SCALE study query mix sent
 * to each in turn (kinds and servers interleaved, so an A/B sees the same machine load), and
 * each server's CPU (all threads, /proc/<pid>/task/*\/schedstat) per request, and the CPU of
 * the PostgreSQL backends of the cluster (--postmaster PID, 10 ms ticks summed per kind); also
 * each request's wall time seen by the client (p50, p95 over the measured rounds: noise on a busy machine).
 * The bench client's own CPU per request (process.cpuUsage around the call: reading the body, not parsing it) is printed too.
 *
 *   node --import tsx bench/qido-server-cpu.ts --database URL --entry A/dist/cli/main.js [--entry B/…]
 *     [--rounds 3] [--iterations 20] [--only REGEX] [--postmaster PID] [--cpu-prof DIR]
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startTestServer, type SpawnedServer } from '../test/support/server.js';
import { DEFAULT_SEED, SCALE_SHAPE } from './datasets.js';
import { httpCall, keepAliveAgent } from './http-client.js';
import { cpuBetween, threadSnapshot } from './thread-cpu.js';
import { scaleQueries } from './workloads/qido-queries.js';

const { values } = parseArgs({
  options: {
    database: { type: 'string' },
    entry: { type: 'string', multiple: true },
    rounds: { type: 'string', default: '3' },
    iterations: { type: 'string', default: '20' },
    only: { type: 'string' },
    postmaster: { type: 'string' },
    'cpu-prof': { type: 'string' },
    /** More node arguments for the servers (e.g. --trace-gc); their output goes to --server-log. */
    'node-arg': { type: 'string', multiple: true },
    'server-log': { type: 'string' },
    /** The audit key every server on this database shares (kept across runs: the chain needs it). */
    'audit-key-file': { type: 'string', default: join(tmpdir(), 'ib-qsc-audit-key') },
  },
});
if (!values.database) throw new Error('--database URL (a loaded SCALE index) is required');
const entries = (values.entry ?? ['dist/cli/main.js']).map((e) => resolve(e));
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);
const postmaster = values.postmaster === undefined ? undefined : Number(values.postmaster);

const KINDS = scaleQueries(DEFAULT_SEED, SCALE_SHAPE, values.only);

/** CPU ticks (user+sys, 10 ms) of the postmaster's children, live and ended: the backends serving the servers (and the cluster's own workers). */
function pgTicks(): number {
  if (postmaster === undefined) return 0;
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
      // Backends that ended meanwhile: their CPU is the postmaster's reaped children's (cutime, cstime).
      if (Number(name) === postmaster) ticks += Number(f[13]) + Number(f[14]);
    } catch {
      // gone meanwhile
    }
  }
  return ticks;
}

interface Side {
  entry: string;
  server: SpawnedServer;
  /** Per kind: server CPU ms per request, PG ms per request, results, bytes; one entry per round. */
  cpu: Map<string, { server: number[]; pg: number[]; client: number[]; wall: number[]; results: number; kb: number }>;
}

const sides: Side[] = [];
try {
  for (const [n, entry] of entries.entries()) {
    const nodeArgs = [
      ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', join(resolve(values['cpu-prof']), `s${n}`)] : []),
      ...(values['node-arg'] ?? []),
    ];
    const server = (await startTestServer(
      { database: values.database, 'audit-key-file': values['audit-key-file']! },
      { spawn: { entry, nodeArgs, env: { MALLOC_ARENA_MAX: '2' }, startTimeoutMs: 120_000 } },
    )) as SpawnedServer;
    sides.push({
      entry,
      server,
      cpu: new Map(KINDS.map((k) => [k.name, { server: [], pg: [], client: [], wall: [], results: 0, kb: 0 }])),
    });
  }
  const agent = keepAliveAgent(1);
  for (let r = -1; r < rounds; r++) {
    for (const kind of KINDS) {
      for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
        let serverMs = 0;
        let results = 0;
        let bytes = 0;
        const ticks0 = pgTicks();
        const walls: number[] = [];
        let clientMs = 0;
        for (let i = 0; i < iterations; i++) {
          const before = threadSnapshot(side.server.pid);
          const t0 = performance.now();
          const c0 = process.cpuUsage();
          const res = await httpCall(`${side.server.dicomweb}/${kind.query(i)}`, { agent });
          walls.push(performance.now() - t0);
          const c = process.cpuUsage(c0);
          clientMs += (c.user + c.system) / 1000;
          const used = cpuBetween(before, threadSnapshot(side.server.pid));
          if (res.status !== 200)
            throw new Error(`${kind.name}: HTTP ${res.status} ${res.body.toString().slice(0, 200)}`);
          serverMs += used ? used.normalMs + used.loweredMs : 0;
          results += (JSON.parse(res.body.toString()) as unknown[]).length;
          bytes += res.bytes;
        }
        const pgMs = (pgTicks() - ticks0) * 10;
        if (r < 0) continue; // warm-up round
        const c = side.cpu.get(kind.name)!;
        c.server.push(serverMs / iterations);
        c.pg.push(pgMs / iterations);
        c.client.push(clientMs / iterations);
        c.wall.push(...walls);
        c.results = results / iterations;
        c.kb = bytes / iterations / 1024;
      }
    }
  }
  const fmt = (xs: number[]) => xs.map((x) => x.toFixed(1)).join(' ');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]!;
  for (const kind of KINDS) {
    for (const [n, side] of sides.entries()) {
      const c = side.cpu.get(kind.name)!;
      console.log(
        `${kind.name.padEnd(34)} [${n}] server ${median(c.server).toFixed(1).padStart(6)} ms (${fmt(c.server)})  PG ${median(c.pg).toFixed(1).padStart(5)} ms (${fmt(c.pg)})  client ${median(c.client).toFixed(1)} ms  wall p50 ${median(c.wall).toFixed(1)} p95 ${p95(c.wall).toFixed(1)} ms  ${c.results.toFixed(0)} results ${c.kb.toFixed(0)} KB`,
      );
    }
  }
  for (const [n, side] of sides.entries()) console.log(`[${n}] ${side.entry}`);
} finally {
  for (const [n, side] of sides.entries()) {
    if (values['server-log']) writeFileSync(`${values['server-log']}.${n}`, side.server.output());
    await side.server.stop();
  }
}
