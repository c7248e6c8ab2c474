/**
 * Where a large PostgreSQL QIDO-RS answer's time goes, stage by stage, without the HTTP server:
 * the search compiled as the server compiles it (planSearch + PgQidoBackend), then per chunk:
 * PostgreSQL execution (EXPLAIN ANALYZE BUFFERS of one chunk), the round trip, the client's
 * decode + split (CPU), the text writer (CPU), and the bytes on the wire. On a loaded SCALE database.
 *
 *   node --import tsx bench/qido-pg-stages.ts --database URL [--query 'ModalitiesInStudy=MR'] [--chunk 500] [--rounds 5]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PgQidoBackend } from '../src/archive/postgres/pg-qido.js';
import { tupleTextWriter } from '../src/archive/query/render-text.js';
import { planSearch } from '../src/archive/query/search-plan.js';
import { BEFORE_ALL, type ChunkBounds, resultColumns } from '../src/archive/query/search-sql.js';

const { values } = parseArgs({
  options: {
    database: { type: 'string' },
    query: { type: 'string', default: 'ModalitiesInStudy=MR' },
    chunk: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '5' },
  },
});
const chunk = Number(values.chunk);
const pool = new pg.Pool({ connectionString: values.database, max: 1 });
const client = await pool.connect();
const backendPid = (await client.query<{ p: number }>('SELECT pg_backend_pid() AS p')).rows[0]!.p;
client.release();
const ticks = (): number => {
  const s = readFileSync(`/proc/${backendPid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
// The statement text the server sends: recorded from a pool that only records.
let recorded: { text: string; values: unknown[] } | undefined;
const recorder = {
  query: async (q: { text: string; values: unknown[] }) => {
    recorded = q;
    return { rows: [] };
  },
} as unknown as pg.Pool;
const search = planSearch({ level: 'study', query: new URLSearchParams(values.query) });
await new PgQidoBackend(recorder, 'archive').prepare(search).tuples!({ after: BEFORE_ALL, take: chunk, skip: 0 });
const packed = recorded!;
console.log(packed.text);
const prepared = new PgQidoBackend(pool, 'archive').prepare(search);
const write = tupleTextWriter(search.plan, 'http://127.0.0.1:8042/dicomweb')!;
const pkAt = resultColumns(search.plan).length - 1;
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let r = 0; r < Number(values.rounds); r++) {
  let bounds: ChunkBounds | undefined = { after: BEFORE_ALL, take: chunk, skip: 0 };
  let readMs = 0;
  let readCpu = 0;
  let writeCpu = 0;
  let chunks = 0;
  let results = 0;
  let chars = 0;
  const pg0 = ticks();
  const t0 = performance.now();
  while (bounds) {
    const c0 = cpu();
    const w0 = performance.now();
    const rows = await prepared.tuples!(bounds);
    readMs += performance.now() - w0;
    const c1 = cpu();
    readCpu += c1 - c0;
    const json = rows.map(write).join(',');
    writeCpu += cpu() - c1;
    chars += json.length;
    chunks++;
    results += rows.length;
    bounds =
      rows.length === bounds.take ? { after: Number(rows[rows.length - 1]![pkAt]), take: chunk, skip: 0 } : undefined;
  }
  const wall = performance.now() - t0;
  console.log(
    `round ${r}: ${results} results in ${chunks} chunks of ${chunk}, wall ${wall.toFixed(0)} ms; reads ${readMs.toFixed(0)} ms wall, client CPU in reads (pg decode + split) ${readCpu.toFixed(0)} ms, writer CPU ${writeCpu.toFixed(0)} ms, PG backend CPU ${ticks() - pg0} ms; ${(chars / 1e6).toFixed(1)} M chars`,
  );
}
// One middle chunk explained.
const mid = { ...packed, values: [...packed.values.slice(0, -3), 50_000, chunk, 0] };
const plan = await pool.query(`EXPLAIN (ANALYZE, BUFFERS) ${mid.text}`, mid.values);
console.log(plan.rows.map((r) => r['QUERY PLAN']).join('\n'));
await pool.end();
