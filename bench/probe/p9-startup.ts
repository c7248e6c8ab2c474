/**
 * P9 on PostgreSQL against the clock of the server's start: what the server does while the P9
 * queries are timed. Fills a template database once (as the P9 workload fills, then VACUUM
 * ANALYZE), copies it for each start, starts `serve --database` on the copy (log level info,
 * optionally --cpu-prof), then times the P9 queries from the moment /health answers exactly as
 * bench/workloads/p9-fhir-search.ts does (20 warm-up per kind, then `--iterations` interleaved)
 * and prints, per second since /health answered: requests, their p50/p95, the server's and
 * PostgreSQL's CPU; and the server's log lines with the same clock.
 *   PG_TEST_URL=postgresql://…/postgres node --import tsx bench/probe/p9-startup.ts \
 *     [--resources 100000] [--iterations 50] [--entry dist/cli/main.js] [--cpu-prof DIR] [--idle 20]
 *     [--no-queries] (only the CPU of the first --idle seconds after /health)
 * The cluster's postmaster pid (`--pg-pid`) is needed for PostgreSQL's CPU (all its children).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { Rng } from '../../src/demo/prng.js';
import { freePort } from '../../test/support/ports.js';
import { spawnManaged, waitForHttpOk } from '../../test/support/process.js';
import { BRIDGE_ENTRY, REPO_ROOT } from '../../test/support/server.js';
import { httpCall, keepAliveAgent } from '../http-client.js';
import { distRootOf } from '../scale-index.js';
import { fillPostgres, P9_QUERIES, type P9Query, PER_PATIENT, queryPath } from '../workloads/p9-fhir-search.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '50' },
    entry: { type: 'string' },
    'cpu-prof': { type: 'string' },
    idle: { type: 'string', default: '0' },
    'pg-pid': { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    wait: { type: 'string', default: '0' },
    'no-queries': { type: 'boolean', default: false },
  },
});

const admin = process.env.PG_TEST_URL;
if (!admin) throw new Error('PG_TEST_URL must name a cluster (its postgres database)');
const perPatient = 1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters;
const patients = Math.floor(Number(values.resources) / perPatient);
const entry = values.entry ? resolve(values.entry) : BRIDGE_ENTRY;
const dbUrl = (name: string) => {
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
};

function ticks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** CPU ms of a process (all threads). */
const processCpuMs = (pid: number): number => {
  try {
    return ticks(pid) * 10;
  } catch {
    return 0;
  }
};

/** CPU ms of the postmaster's children (alive now). */
function postgresCpuMs(postmaster: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const s = readFileSync(`/proc/${name}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === postmaster || Number(name) === postmaster)
        out.set(Number(name), (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // gone
    }
  }
  return out;
}
const delta = (a: Map<number, number>, b: Map<number, number>): number => {
  let s = 0;
  for (const [pid, v] of b) s += v - (a.get(pid) ?? 0);
  return s;
};

async function withAdmin<T>(run: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    return await run(c);
  } finally {
    await c.end();
  }
}

async function main(): Promise<void> {
  const template = `p9_fill_${patients}`;
  const have = await withAdmin((c) => c.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]));
  if (!have.rowCount) {
    await withAdmin((c) => c.query(`CREATE DATABASE ${template}`));
    await fillPostgres(dbUrl(template), patients, 9, (l) => console.log(l), distRootOf(entry));
  }
  const run = `p9_run_${process.pid}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${run} TEMPLATE ${template}`));
  const dir = mkdtempSync(join(tmpdir(), 'ib-p9-startup-'));
  const port = await freePort();
  const spawnedAt = performance.now();
  const proc = spawnManaged(
    process.execPath,
    [
      ...(values['cpu-prof'] ? ['--cpu-prof', '--cpu-prof-dir', resolve(values['cpu-prof'])] : []),
      entry,
      'serve',
      ...['--auth', 'none', '--host', '127.0.0.1', '--http-port', String(port), '--dicom-port', '0'],
      ...['--data-dir', dir, '--database', dbUrl(run), '--log-level', values['log-level']!],
    ],
    {
      cwd: REPO_ROOT,
      env: { ...process.env, TCP_NODELAY: '1', MALLOC_ARENA_MAX: '2' },
      name: 'ImagingBridge (P9 start-up)',
    },
  );
  const logLines: { at: number; line: string }[] = [];
  let partial = '';
  proc.child.stderr?.on('data', (c: Buffer) => {
    const at = performance.now();
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) logLines.push({ at, line });
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${base}/health`, proc, 120_000, 'ImagingBridge');
  const t0 = performance.now();
  console.log(`server ${entry}: /health answered ${((t0 - spawnedAt) / 1000).toFixed(1)} s after the spawn`);
  if (Number(values.wait) > 0) await new Promise((r) => setTimeout(r, Number(values.wait) * 1000));
  const pgPid = values['pg-pid'] ? Number(values['pg-pid']) : undefined;
  const samples: { at: number; server: number; pg: number }[] = [];
  let pgLast = pgPid ? postgresCpuMs(pgPid) : new Map<number, number>();
  let serverLast = processCpuMs(proc.pid);
  const sampler = setInterval(() => {
    const pgNow = pgPid ? postgresCpuMs(pgPid) : new Map<number, number>();
    const serverNow = processCpuMs(proc.pid);
    samples.push({ at: performance.now() - t0, server: serverNow - serverLast, pg: delta(pgLast, pgNow) });
    pgLast = pgNow;
    serverLast = serverNow;
  }, 1000);
  const agent = keepAliveAgent(1);
  const calls: { at: number; kind: P9Query; ms: number; warm: boolean }[] = [];
  const pick = Rng.stream(1456, 'queries');
  const call = async (kind: P9Query, warm: boolean) => {
    const at = performance.now() - t0;
    const r = await httpCall(`${base}/fhir/${queryPath(kind, pick.int(0, patients - 1))}`, {
      agent,
      headers: { accept: 'application/fhir+json' },
      timeoutMs: 30_000,
    });
    if (r.status !== 200) throw new Error(`${kind}: HTTP ${r.status}`);
    calls.push({ at, kind, ms: r.totalMs, warm });
  };
  try {
    if (!values['no-queries']) {
      for (const kind of P9_QUERIES) for (let i = 0; i < 20; i++) await call(kind, true);
      for (let i = 0; i < Number(values.iterations); i++) for (const kind of P9_QUERIES) await call(kind, false);
    }
    const queriesEnd = performance.now() - t0;
    await new Promise((r) => setTimeout(r, Number(values.idle) * 1000));
    clearInterval(sampler);
    const sum = (f: (x: (typeof samples)[number]) => number) => samples.reduce((a, x) => a + f(x), 0);
    console.log(
      `CPU in the ${samples.length} s after /health: server ${sum((x) => x.server)} ms, PostgreSQL ${sum((x) => x.pg)} ms`,
    );
    if (values['no-queries']) return;
    const pct = (xs: number[], p: number) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
    };
    const timed = calls.filter((c) => !c.warm);
    console.log(
      `timed: ${timed.length} requests from ${(timed[0]!.at / 1000).toFixed(1)} s to ${(queriesEnd / 1000).toFixed(1)} s: p50 ${pct(
        timed.map((c) => c.ms),
        50,
      ).toFixed(1)} p95 ${pct(
        timed.map((c) => c.ms),
        95,
      ).toFixed(1)} ms`,
    );
    for (const k of P9_QUERIES) {
      const ms = timed.filter((c) => c.kind === k).map((c) => c.ms);
      console.log(`  ${k.padEnd(34)} p50 ${pct(ms, 50).toFixed(1)} p95 ${pct(ms, 95).toFixed(1)} ms`);
    }
    console.log('\nper second since /health (requests incl. warm-up): n, p50, p95 | server CPU ms, PostgreSQL CPU ms');
    for (const s of samples) {
      const inSec = calls.filter((c) => c.at >= s.at - 1000 && c.at < s.at).map((c) => c.ms);
      console.log(
        `  ${(s.at / 1000).toFixed(0).padStart(3)} s: ${String(inSec.length).padStart(4)} req, p50 ${pct(inSec, 50).toFixed(1).padStart(5)} p95 ${pct(inSec, 95).toFixed(1).padStart(5)} | server ${String(s.server).padStart(4)} ms, PostgreSQL ${String(s.pg).padStart(4)} ms`,
      );
    }
    console.log('\nserver log (s since /health):');
    for (const { at, line } of logLines) {
      let msg = line;
      try {
        const j = JSON.parse(line) as Record<string, unknown>;
        const { level, time, pid, hostname, msg: m, ...rest } = j;
        void time;
        void pid;
        void hostname;
        if (m === 'request completed' || m === 'incoming request') continue;
        msg = `[${level}] ${m} ${JSON.stringify(rest).slice(0, 300)}`;
      } catch {
        // not JSON
      }
      console.log(`  ${((at - t0) / 1000).toFixed(2).padStart(7)} ${msg}`);
    }
  } finally {
    clearInterval(sampler);
    agent.destroy();
    await proc.stop();
    rmSync(dir, { recursive: true, force: true });
    for (const f of [`${dir}.audit-key`, `${dir}.audit-key.checkpoint`]) rmSync(f, { force: true });
    await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS ${run} WITH (FORCE)`));
  }
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
