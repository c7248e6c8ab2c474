/**
 * P7 on PostgreSQL, phase by phase (diagnostic, not a bench workload): starts our server as the
 * bench does (`--database`, `--blob-store` on s3rver) at --log-level debug, stores N small studies
 * concurrently (2 instances, one STOW each), and writes per study the epoch ms of its STOW answer
 * and of the first FHIR search showing it, and from the server's log every sync pass and every
 * "study synced", so that what waits where can be read off. The summary has the STOW answer times
 * (ackP50/ackP99, from sending) too; P7_POLL=after holds every FHIR search until all STOWs are
 * answered, so that those times are without the searches' load on the server; P7_POLL=none
 * searches nothing before every study is synced (the CPU and statement figures — server, and the
 * throwaway cluster's processes: pgCpuMs — are then those of ingest and sync alone, comparable
 * between builds).
 *   node --import tsx bench/probe/p7-phases.ts OUT.json [studies] [entry]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startTestS3 } from '../../src/archive/blob/test-support.js';
import { postgresCpuS } from '../postgres-cpu.js';
import { testPostgres } from '../../src/core/postgres/test-cluster.js';
import { ctInstance } from '../../src/dicom/test-support.js';
import { multipartBody } from '../../test/support/multipart.js';
import { spawnManaged, waitForHttpOk } from '../../test/support/process.js';
import { freePort } from '../../test/support/ports.js';
import { REPO_ROOT } from '../../test/support/server.js';

const [out = '/tmp/p7-phases.json', n = '100', entry] = process.argv.slice(2);
const STUDIES = Number(n);
const ROOT = '1.2.826.0.1.3680043.10.1456.98';

const server = testPostgres();
if ('reason' in server) throw new Error(server.reason);
const adminUrl = await server.url();
const database = `p7_phases_${process.pid}`;
const STATS = Boolean(process.env.P7_STATS) && server.restart !== undefined;
if (STATS) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'`);
  await c.end();
  await server.restart!();
}
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${database}`);
const u = new URL(adminUrl);
u.pathname = `/${database}`;
const stats = new pg.Client({ connectionString: u.toString() });
await stats.connect();
if (STATS) await stats.query('CREATE EXTENSION pg_stat_statements');
const s3 = await startTestS3('ib-p7');
const dir = mkdtempSync(join(tmpdir(), 'p7-phases-'));
const [httpPort, dicomPort] = [await freePort(), await freePort()];
const proc = spawnManaged(
  process.execPath,
  [
    // P7_NODE_ARGS: node flags for the server (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
    ...(process.env.P7_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    entry ?? join(REPO_ROOT, 'dist/cli/main.js'),
    'serve',
    ...['--data-dir', dir, '--auth', 'none', '--host', '127.0.0.1', '--log-level', process.env.P7_LOG ?? 'debug'],
    ...['--http-port', String(httpPort), '--dicom-port', String(dicomPort)],
    ...(process.env.P7_SQLITE ? [] : ['--database', u.toString(), '--blob-store', 's3://ib-p7/x']),
  ],
  {
    cwd: REPO_ROOT,
    env: { ...process.env, ...s3.env, MALLOC_ARENA_MAX: '2', TCP_NODELAY: '1' },
    name: 'ImagingBridge',
  },
);
const logged: string[] = [];
proc.child.stderr?.on('data', (c: Buffer) => logged.push(c.toString()));
const base = `http://127.0.0.1:${httpPort}`;
await waitForHttpOk(`${base}/health`, proc, 30_000, 'ImagingBridge');
const cpuOf = (): number => {
  const f = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};

async function stow(files: Buffer[]): Promise<void> {
  const { body, contentType } = multipartBody(files, `p7-${Math.random().toString(36).slice(2)}`);
  const res = await fetch(`${base}/dicomweb/studies`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`STOW ${res.status}`);
}

async function readable(studyUid: string, instances: number): Promise<number> {
  const url = `${base}/fhir/ImagingStudy?identifier=${encodeURIComponent(`urn:dicom:uid|urn:oid:${studyUid}`)}`;
  for (;;) {
    const b = (await (await fetch(url)).json()) as { entry?: { resource: { numberOfInstances?: number } }[] };
    if (b.entry?.[0]?.resource.numberOfInstances === instances) return Date.now();
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Warm-up: one study (Endpoint, Patient creation paths), as the CT400 study does in P7.
const warm = `${ROOT}.${process.pid}.0`;
await stow([ctInstance({ study: warm, series: `${warm}.1`, sop: `${warm}.1.1`, rows: 16, columns: 16 })]);
await readable(warm, 1);

if (STATS) await stats.query('SELECT pg_stat_statements_reset()');
// P7_POLL=after: no study is polled before every STOW is answered (acks without the FHIR searches' load).
const POLL_AFTER_ALL = process.env.P7_POLL === 'after';
// P7_POLL=none: no FHIR search until the bridge recorded every study synced (archive.sync_state, read
// by the probe every 100 ms): the FHIR searches are then one per study, so the CPU and statement
// figures are those of the ingest and the sync alone (the `seen` times are then not latencies).
const POLL_NONE = process.env.P7_POLL === 'none';
const uids = Array.from({ length: STUDIES }, (_, k) => `${ROOT}.${process.pid}.${k + 1}`);
const allSynced = (async () => {
  if (!POLL_NONE) return;
  for (;;) {
    const { rows } = await stats.query(
      'SELECT count(*)::int AS n FROM archive.sync_state WHERE study_uid = ANY($1) AND instances = 2',
      [uids],
    );
    if (rows[0].n === STUDIES) return;
    await new Promise((r) => setTimeout(r, 100));
  }
})();
let ackedCount = 0;
let everyAck: () => void = () => undefined;
const allAcked = new Promise<void>((r) => (everyAck = r));
const t0 = Date.now();
const cpu0 = cpuOf();
const pgCpu0 = postgresCpuS();
const studies = await Promise.all(
  Array.from({ length: STUDIES }, async (_, k) => {
    const uid = uids[k]!;
    const files = [1, 2].map((i) =>
      ctInstance({
        study: uid,
        series: `${uid}.1`,
        sop: `${uid}.1.${i}`,
        patientId: `P7-${(k + 1) % 50}`,
        patientName: 'Bench^P7',
        rows: 16,
        columns: 16,
      }),
    );
    const sent = Date.now();
    await stow(files);
    const acked = Date.now();
    if (++ackedCount === STUDIES) everyAck();
    if (POLL_AFTER_ALL || POLL_NONE) await allAcked;
    if (POLL_NONE) await allSynced;
    const seen = await readable(uid, 2);
    return { uid, sent: sent - t0, acked: acked - t0, seen: seen - t0, latency: seen - acked };
  }),
);
await new Promise((r) => setTimeout(r, 500));
const cpuMs = cpuOf() - cpu0;
const pgCpuMs = Math.round((postgresCpuS() - pgCpu0) * 1000);
const statements = STATS
  ? (
      await stats.query(
        `SELECT calls, round(total_exec_time) AS ms, left(regexp_replace(query, '\\s+', ' ', 'g'), 400) AS q FROM pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY calls DESC LIMIT 80`,
      )
    ).rows
  : [];
const statementCalls = STATS
  ? Number(
      (
        await stats.query(
          `SELECT coalesce(sum(calls), 0) AS n FROM pg_stat_statements
           WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        )
      ).rows[0].n,
    )
  : undefined;
await stats.end();
const lines = logged
  .join('')
  .split('\n')
  .flatMap((l) => {
    try {
      return [JSON.parse(l) as { time: number; msg: string; studies?: number; ms?: number; studyUid?: string }];
    } catch {
      return [];
    }
  });
const passes = lines
  .filter((l) => l.msg === 'sync pass' || l.msg === 'outbox due' || l.msg === 'sync phase')
  .map(({ time, msg, ...rest }) => ({
    at: time - t0,
    msg,
    ...rest,
    service: undefined,
    pid: undefined,
    hostname: undefined,
    level: undefined,
  }));
const synced = lines.filter((l) => l.msg === 'study synced').map((l) => ({ at: l.time - t0, uid: l.studyUid }));
const lat = studies.map((s) => s.latency).sort((a, b) => a - b);
const acks = studies.map((s) => s.acked - s.sent).sort((a, b) => a - b);
const summary = {
  ackP50: acks[Math.ceil(0.5 * acks.length) - 1],
  ackP99: acks[Math.ceil(0.99 * acks.length) - 1],
  p50: lat[Math.ceil(0.5 * lat.length) - 1],
  p99: lat[Math.ceil(0.99 * lat.length) - 1],
  lastAck: Math.max(...studies.map((s) => s.acked)),
  firstAck: Math.min(...studies.map((s) => s.acked)),
  lastSeen: Math.max(...studies.map((s) => s.seen)),
  passes: passes.filter((p) => p.msg === 'sync pass').length,
  serverCpuMs: cpuMs,
  // The PostgreSQL backends' CPU (the throwaway cluster's processes), FHIR polls included.
  pgCpuMs,
  statementCalls,
};
console.log(JSON.stringify(summary));
writeFileSync(
  out,
  JSON.stringify(
    { summary, statements, studies, passes, synced, msgs: [...new Set(lines.map((l) => l.msg))] },
    null,
    1,
  ),
);
await proc.stop();
rmSync(dir, { recursive: true, force: true });
await s3.stop();
await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
await admin.end();
await server.stop();
