/**
 * CPU of QIDO-RS study searches in process, per study answered: the SCALE query mix run through
 * QidoService + the HTTP body builder (qidoBody, text read to its end as a client would) on an
 * existing index.sqlite opened read-only (the SCALE cache folder, while no server runs on it).
 * Reports, per query kind, the process CPU (user+sys) per request and per result, best of rounds.
 *
 *   node --import tsx bench/qido-cpu.ts DIR [--rounds 5] [--iterations 10] [--only REGEX]
 *   node --import tsx bench/qido-cpu.ts --database URL …   (a PostgreSQL SCALE load, scale-index.ts --database)
 * The process CPU includes the pg client's (socket reads, row decoding), not PostgreSQL's.
 */
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { QidoService } from '../src/archive/query/qido-service.js';
import { PgIndex } from '../src/archive/postgres/pg-index.js';
import { PgQidoBackend } from '../src/archive/postgres/pg-qido.js';
import { SqliteQidoBackend } from '../src/archive/sqlite/sqlite-qido.js';
import { qidoBody } from '../src/dicomweb/qido-response.js';
import { DEFAULT_SEED, SCALE_SHAPE } from './datasets.js';
import { scaleQueries } from './workloads/qido-queries.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string', default: '5' },
    iterations: { type: 'string', default: '10' },
    only: { type: 'string' },
    database: { type: 'string' },
  },
});
const dir = positionals[0];
if (!dir && !values.database)
  throw new Error('usage: qido-cpu.ts DIR (a SCALE cache folder holding index.sqlite) | --database URL');
const rounds = Number(values.rounds);
const iterations = Number(values.iterations);

const pgIndex = values.database ? await PgIndex.open(values.database, 'archive') : undefined;
const backend = pgIndex
  ? new PgQidoBackend(pgIndex.pool, pgIndex.schema)
  : new SqliteQidoBackend(new Database(join(dir!, 'index.sqlite'), { readonly: true }));
const qido = new QidoService(backend, { publicUrl: 'http://127.0.0.1:8080' });

const KINDS = scaleQueries(DEFAULT_SEED, SCALE_SHAPE, values.only);

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

for (const kind of KINDS) {
  let best = Infinity;
  let results = 0;
  let bytes = 0;
  for (let r = -1; r < rounds; r++) {
    // Round -1 warms up (statements, page cache) and is not counted.
    let used = 0;
    results = 0;
    bytes = 0;
    for (let i = 0; i < iterations; i++) {
      const path = kind.query(i);
      // JSON.parse of the check is not counted: only open + render + text.
      const before = process.cpuUsage();
      const [, query = ''] = path.split('?');
      const res = await qido.open({ level: 'study', query: new URLSearchParams(query) });
      const body: unknown = await qidoBody(res);
      // The pieces kept as they come (string or bytes, as a socket takes them): decoded after the count.
      const pieces: unknown[] = [];
      // A whole answer sent as a string is encoded when sent (Content-Length, then the bytes): counted here too.
      if (typeof body === 'string') pieces.push(Buffer.byteLength(body), Buffer.from(body));
      else if (Buffer.isBuffer(body)) pieces.push(body);
      else for await (const chunk of body as Readable) pieces.push(chunk);
      used += cpuMs(process.cpuUsage(before));
      const text = pieces
        .filter((p) => typeof p !== 'number')
        .map(String)
        .join('');
      results += (JSON.parse(text) as unknown[]).length;
      bytes += Buffer.byteLength(text);
    }
    if (r >= 0) best = Math.min(best, used / iterations);
  }
  const perResult = results > 0 ? (best * 1000) / (results / iterations) : 0;
  console.log(
    `${kind.name.padEnd(34)} ${best.toFixed(2).padStart(8)} ms/request  ${(results / iterations).toFixed(0).padStart(6)} results  ${perResult.toFixed(2).padStart(6)} µs/result  ${(bytes / iterations / 1024).toFixed(0)} KB`,
  );
}
if (pgIndex) await pgIndex.close();
