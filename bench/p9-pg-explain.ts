/**
 * P9 on PostgreSQL, taken apart: fills a fresh database as `npm run bench -- --backend postgres
 * --only P9` does (p9-fhir-search.ts fillPostgres, through PgFhirRepository), records the SQL each
 * of the three P9 searches compiles to (the repository's runSearch on a pool that logs every
 * statement), EXPLAIN (ANALYZE, BUFFERS)s it, then times the searches:
 *  - in this process through runSearch (CPU of this process = compile + row decoding + JSON.parse;
 *    CPU of the PostgreSQL backends = the statements);
 *  - with --server, over HTTP against `serve --database` on the same database (the server's CPU
 *    per request from /proc, all its threads, and the PostgreSQL backends' CPU, which then also
 *    holds the request's audit record).
 * Every phase runs on the database as filled (no VACUUM ANALYZE after the fill unless --settle, as
 * the P9 workload does since session 15) and again after ANALYZE (--no-analyze: as filled only);
 * --idle N: the server's and PostgreSQL's CPU in the N seconds after the start, no requests made.
 *   node --import tsx bench/p9-pg-explain.ts [--resources 20000] [--iterations 200] [--plans] [--server]
 *        [--bridge-entry dist/cli/main.js]
 * Database: PG_TEST_URL (a fresh database, dropped at the end), else a throwaway cluster (fsync off).
 * CPU, not wall time, is the figure to compare on a shared machine.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scratchDatabase } from './pg-scratch-database.js';
import { postgresCpuByPid } from './postgres-cpu.js';
import { openPool } from '../src/core/postgres/pool.js';
import { SearchParamRegistry } from '../src/fhir/definitions/search-params.js';
import { PgIndexWriter } from '../src/fhir/postgres/index-writer.js';
import { runSearch } from '../src/fhir/postgres/pg-search.js';
import type { Queryable } from '../src/fhir/postgres/resource-store.js';
import type { SearchContext } from '../src/fhir/postgres/search-sql.js';
import { parseSearch } from '../src/fhir/search/parse-search.js';
import { Rng } from '../src/demo/prng.js';
import { freePort } from '../test/support/ports.js';
import { spawnManaged, waitForHttpOk } from '../test/support/process.js';
import { BRIDGE_ENTRY, REPO_ROOT } from '../test/support/server.js';
import { httpCall, keepAliveAgent } from './http-client.js';
import { fillPostgres, P9_QUERIES, type P9Query, PER_PATIENT, queryPath } from './workloads/p9-fhir-search.js';

const BASE = 'http://127.0.0.1/fhir';
const LIMITS = { defaultCount: 20, maxCount: 1000, baseUrl: BASE };

/** CPU nanoseconds of each thread of a process, by thread id (with its name); threads that ended are not listed. */
function threadCpuNs(pid: number): Map<string, { name: string; ns: number }> {
  const out = new Map<string, { name: string; ns: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      out.set(tid, { name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), ns });
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** CPU ms per thread name between two threadCpuNs readings (threads present at both). */
function cpuByName(a: ReturnType<typeof threadCpuNs>, b: ReturnType<typeof threadCpuNs>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [tid, t] of b) {
    const before = a.get(tid)?.ns ?? 0;
    out.set(t.name, (out.get(t.name) ?? 0) + (t.ns - before) / 1e6);
  }
  return out;
}

/** PostgreSQL CPU seconds between two readings: processes alive at both, and those started meanwhile (autovacuum workers that ended are lost). */
function postgresDelta(a: Map<number, number>, b: Map<number, number>): number {
  let s = 0;
  for (const [pid, cpu] of b) s += cpu - (a.get(pid) ?? 0);
  return s;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      resources: { type: 'string', default: '20000' },
      iterations: { type: 'string', default: '200' },
      plans: { type: 'boolean', default: false },
      server: { type: 'boolean', default: false },
      'no-analyze': { type: 'boolean', default: false },
      'bridge-entry': { type: 'string' },
      'cpu-prof': { type: 'string' },
      idle: { type: 'string', default: '0' },
      settle: { type: 'boolean', default: false },
    },
  });
  const perPatient = 1 + PER_PATIENT.observations + PER_PATIENT.studies + PER_PATIENT.encounters;
  const patients = Math.max(1, Math.floor(Number(values.resources) / perPatient));
  const iterations = Number(values.iterations);
  const database = `ib_p9_explain_${process.pid}`;
  const scratch = await scratchDatabase(database);
  const url = scratch.url;
  const pool = openPool(url, { max: 2 });
  try {
    await fillPostgres(url, patients, 9, (l) => console.log(l), undefined, values.settle);
    const registry = new SearchParamRegistry();
    const index = await PgIndexWriter.open(pool, 'fhir', registry, BASE);
    const ctx = (): SearchContext => ({ s: 'fhir.', ids: (t, c) => index.paramId(t, c), now: Date.now() });
    const request = (kind: P9Query, k: number) => {
      const path = queryPath(kind, k);
      const type = path.slice(0, path.indexOf('?'));
      return parseSearch(registry, type, new URLSearchParams(path.slice(path.indexOf('?') + 1)), LIMITS).request;
    };
    const recorded: { text: string; values: unknown[] }[] = [];
    const recorder = {
      query: (text: string, args?: unknown[]) => {
        recorded.push({ text, values: args ?? [] });
        return pool.query(text, args);
      },
    } as unknown as Queryable;

    await pool.query(`ALTER DATABASE ${database} SET log_min_duration_statement = 20`);
    if (!process.env.PG_TEST_URL) {
      await pool.query('ALTER SYSTEM SET log_autovacuum_min_duration = 0');
      await pool.query('SELECT pg_reload_conf()');
    }
    const server = values.server ? await startServer(url, values['bridge-entry'], values['cpu-prof']) : undefined;
    if (server && Number(values.idle) > 0) {
      await idleCpu(server, Number(values.idle));
      // The statements of more than 100 ms the server ran meanwhile (throwaway cluster: its log is in the socket folder).
      const host = new URL(url).searchParams.get('host');
      if (host) {
        const lines = readFileSync(join(host, 'server.log'), 'utf8').split('\n');
        for (const l of lines.filter((x) => /duration: |automatic/.test(x)).slice(0, 40))
          console.log(`  slow: ${l.slice(0, 400)}`);
      }
    }
    const phases = values['no-analyze'] ? ['as filled'] : ['as filled', 'after ANALYZE'];
    for (const phase of phases) {
      if (phase === 'after ANALYZE') await pool.query('ANALYZE');
      const stats = await pool.query<{ relname: string; last_autoanalyze: Date | null; last_analyze: Date | null }>(
        `SELECT relname, last_autoanalyze, last_analyze FROM pg_stat_user_tables WHERE schemaname = 'fhir' AND relname IN ('resources', 'sp_token', 'sp_reference', 'sp_date') ORDER BY relname`,
      );
      console.log(
        `\n=== ${phase} (${patients * perPatient} resources; analyzed: ${stats.rows.map((r) => `${r.relname} ${r.last_analyze || r.last_autoanalyze ? 'yes' : 'no'}`).join(', ')})`,
      );
      for (const kind of P9_QUERIES) {
        recorded.length = 0;
        const result = await runSearch(recorder, request(kind, Math.floor(patients / 2)), ctx());
        console.log(
          `\n${kind}: ${recorded.length} statements, ${result.resources.length} resources, total ${result.total}`,
        );
        for (const s of recorded) {
          const plan = (
            await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)
          ).rows.map((r) => r['QUERY PLAN']);
          const seq = plan.filter((l) => /Seq Scan/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*$/, ''));
          const time = plan.filter((l) => /^(Planning|Execution) Time/.test(l)).join(', ');
          console.log(`  ${s.text.replace(/\s+/g, ' ').slice(0, 400)}`);
          console.log(`    ${seq.length ? `SEQ SCAN: ${seq.join('; ')}` : 'no seq scan'}; ${time}`);
          if (values.plans) console.log(plan.map((l) => `      ${l}`).join('\n'));
        }
      }
      console.log('\nrepository searches in this process (runSearch on a 2-connection pool):');
      for (const kind of P9_QUERIES) {
        const pick = Rng.stream(9, 'explain', kind);
        for (let i = 0; i < 20; i++) await runSearch(pool, request(kind, pick.int(0, patients - 1)), ctx());
        const walls: number[] = [];
        const cpu0 = process.cpuUsage();
        const pg0 = postgresCpuByPid();
        for (let i = 0; i < iterations; i++) {
          const t = performance.now();
          await runSearch(pool, request(kind, pick.int(0, patients - 1)), ctx());
          walls.push(performance.now() - t);
        }
        const cpu = process.cpuUsage(cpu0);
        const pgS = postgresDelta(pg0, postgresCpuByPid());
        console.log(
          `  ${kind.padEnd(34)} node CPU ${((cpu.user + cpu.system) / 1000 / iterations).toFixed(3)} ms/search, PostgreSQL CPU ${((pgS * 1000) / iterations).toFixed(2)} ms/search, wall p50 ${pct(walls, 50).toFixed(2)} p95 ${pct(walls, 95).toFixed(2)} ms`,
        );
      }
      if (server) await overHttp(server, patients, iterations);
    }
    await server?.stop();
  } finally {
    await pool.end().catch(() => undefined);
    await scratch.close();
  }
}

/** The server's and PostgreSQL's CPU while no request is made, every 5 s for `seconds` after the start. */
async function idleCpu(server: Server, seconds: number): Promise<void> {
  console.log(`\nidle after the server's start (no requests), per 5 s:`);
  for (let t = 0; t < seconds; t += 5) {
    const cpu0 = threadCpuNs(server.pid);
    const pg0 = postgresCpuByPid();
    await new Promise((r) => setTimeout(r, 5000));
    const byName = cpuByName(cpu0, threadCpuNs(server.pid));
    const ms = [...byName.values()].reduce((a, b) => a + b, 0);
    console.log(
      `  ${String(t + 5).padStart(3)} s: server CPU ${ms.toFixed(0)} ms, PostgreSQL CPU ${(postgresDelta(pg0, postgresCpuByPid()) * 1000).toFixed(0)} ms`,
    );
  }
}

interface Server {
  base: string;
  pid: number;
  stop(): Promise<void>;
}

/** `serve --database` on the filled database (one data folder for the whole run: its audit key stays). */
async function startServer(url: string, entryArg?: string, cpuProf?: string): Promise<Server> {
  const entry = entryArg === undefined ? BRIDGE_ENTRY : resolve(entryArg);
  const dir = mkdtempSync(join(tmpdir(), 'ib-p9-explain-'));
  const port = await freePort();
  const proc = spawnManaged(
    process.execPath,
    [
      ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf)] : []),
      entry,
      'serve',
      '--auth',
      'none',
      '--host',
      '127.0.0.1',
      '--http-port',
      String(port),
      '--dicom-port',
      '0',
      '--data-dir',
      dir,
      '--database',
      url,
      '--log-level',
      'warn',
    ],
    { cwd: REPO_ROOT, env: { ...process.env, TCP_NODELAY: '1' }, name: 'ImagingBridge (P9 explain)' },
  );
  const base = `http://127.0.0.1:${port}`;
  await waitForHttpOk(`${base}/health`, proc, 120_000, 'ImagingBridge (P9 explain)');
  console.log(`server: ${entry}${cpuProf ? ` (CPU profiles in ${cpuProf})` : ''}`);
  return {
    base,
    pid: proc.pid,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Requests over one keep-alive connection: server CPU per request (by thread) and PostgreSQL CPU. */
async function overHttp(server: Server, patients: number, iterations: number): Promise<void> {
  const agent = keepAliveAgent(1);
  try {
    console.log('\nover HTTP (one keep-alive connection):');
    for (const kind of P9_QUERIES) {
      const pick = Rng.stream(9, 'explain-http', kind);
      const call = async () => {
        const r = await httpCall(`${server.base}/fhir/${queryPath(kind, pick.int(0, patients - 1))}`, {
          agent,
          headers: { accept: 'application/fhir+json' },
        });
        if (r.status !== 200) throw new Error(`${kind}: HTTP ${r.status} ${r.body.toString().slice(0, 200)}`);
        return r.totalMs;
      };
      for (let i = 0; i < 30; i++) await call();
      const walls: number[] = [];
      const cpu0 = threadCpuNs(server.pid);
      const pg0 = postgresCpuByPid();
      for (let i = 0; i < iterations; i++) walls.push(await call());
      const byName = cpuByName(cpu0, threadCpuNs(server.pid));
      const pgS = postgresDelta(pg0, postgresCpuByPid());
      const cpuMs = [...byName.values()].reduce((a, b) => a + b, 0);
      const threads = [...byName]
        .filter(([, ms]) => ms / iterations >= 0.05)
        .sort((a, b) => b[1] - a[1])
        .map(([n, ms]) => `${n} ${(ms / iterations).toFixed(2)}`)
        .join(', ');
      console.log(
        `  ${kind.padEnd(34)} server CPU ${(cpuMs / iterations).toFixed(3)} ms/request (${threads}), PostgreSQL CPU ${((pgS * 1000) / iterations).toFixed(2)} ms/request, wall p50 ${pct(walls, 50).toFixed(2)} p95 ${pct(walls, 95).toFixed(2)} ms`,
      );
    }
  } finally {
    agent.destroy();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
