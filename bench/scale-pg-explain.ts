/**
 * SCALE on PostgreSQL, without the server: loads N studies into a fresh database with the rows
 * of the build's PgIndex.commit (as `npm run bench -- --backend postgres --scale` does; since the
 * loader ends with VACUUM ANALYZE, both phases below see statistics), reports the
 * load's wall time and CPU (this process and the PostgreSQL backends) per 10k instances, then
 * EXPLAIN ANALYZEs the first chunk of every SCALE query kind as the server compiles it (dist's
 * planSearch + PgQidoBackend) — before and after ANALYZE — and says which plans scan a table
 * sequentially. A small set is enough to see whether the indexes are usable; whether the planner
 * prefers them at 1M is only certain on the 1M set (pass --studies 100000).
 *   node --import tsx bench/scale-pg-explain.ts [--studies 1000] [--bridge-entry dist/cli/main.js] [--plans]
 * Database: PG_TEST_URL (a fresh database, dropped at the end), else a throwaway cluster.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { ChunkBounds } from '../src/archive/query/search-sql.js';
import { scratchDatabase } from './pg-scratch-database.js';
import { postgresCpuS } from './postgres-cpu.js';
import { BRIDGE_ENTRY } from '../test/support/server.js';
import { DEFAULT_SEED } from './datasets.js';
import { distRootOf, loadScaleIntoPostgres } from './scale-index.js';
import { QUERY_KINDS, queryFor } from './workloads/qido-queries.js';
import { scaleShape } from './workloads/scale.js';

interface Compiled {
  text: string;
  values: unknown[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      studies: { type: 'string', default: '1000' },
      'bridge-entry': { type: 'string' },
      plans: { type: 'boolean', default: false },
    },
  });
  const shape = scaleShape(Number(values.studies));
  const entry = values['bridge-entry'] === undefined ? BRIDGE_ENTRY : resolve(values['bridge-entry']);
  const distRoot = distRootOf(entry);
  const scratch = await scratchDatabase(`ib_scale_explain_${process.pid}`);
  const url = scratch.url;
  const db = new pg.Client({ connectionString: url });
  try {
    const cpu0 = process.cpuUsage();
    const pg0 = postgresCpuS();
    const info = await loadScaleIntoPostgres(url, {
      bridgeEntry: entry,
      seed: DEFAULT_SEED,
      shape,
      log: (l) => console.log(l),
    });
    const cpu = process.cpuUsage(cpu0);
    const per10k = (x: number): string => ((x * 10_000) / info.instances).toFixed(1);
    console.log(
      `load: ${info.instances} instances, wall ${per10k(info.loadMs / 1000)} s per 10k; CPU per 10k: loader ${per10k((cpu.user + cpu.system) / 1e6)} s, PostgreSQL ${per10k(postgresCpuS() - pg0)} s${process.env.PG_TEST_URL ? ' (PG_TEST_URL: not measured, 0 unless the cluster is a child)' : ''}`,
    );

    const { planSearch } = (await import(pathToFileURL(join(distRoot, 'archive', 'query', 'search-plan.js')).href)) as {
      planSearch: typeof import('../src/archive/query/search-plan.js').planSearch;
    };
    const { PgQidoBackend } = (await import(
      pathToFileURL(join(distRoot, 'archive', 'postgres', 'pg-qido.js')).href
    )) as {
      PgQidoBackend: typeof import('../src/archive/postgres/pg-qido.js').PgQidoBackend;
    };
    const { BEFORE_ALL } = (await import(pathToFileURL(join(distRoot, 'archive', 'query', 'search-sql.js')).href)) as {
      BEFORE_ALL: number;
    };
    // A pool that records the statement instead of running it: the SQL the server would send.
    let compiled: Compiled | undefined;
    const recorder = {
      query: async (q: { text: string; values: unknown[] }) => {
        compiled = { text: q.text, values: q.values };
        return { rows: [] };
      },
    } as unknown as pg.Pool;
    const qido = new PgQidoBackend(recorder, 'archive');
    const kinds = [...QUERY_KINDS.map((k) => [k, queryFor(k, 0, DEFAULT_SEED, shape, 'SCALE')] as const)];
    for (const [k, q] of [...kinds]) if (k !== 'limit=100') kinds.push([`${k} &limit=100`, `${q}&limit=100`] as never);
    const statements: [string, Compiled][] = [];
    for (const [kind, path] of kinds) {
      const query = new URLSearchParams(path.slice(path.indexOf('?') + 1));
      const search = planSearch({ level: 'study', query });
      const bounds: ChunkBounds = { after: BEFORE_ALL, take: Math.min(search.limit ?? 100, 100), skip: 0 };
      await qido.prepare(search).rows(bounds);
      statements.push([kind, compiled!]);
    }

    await db.connect();
    for (const phase of ['before ANALYZE', 'after ANALYZE']) {
      if (phase === 'after ANALYZE') await db.query('ANALYZE');
      console.log(`\n${phase}:`);
      for (const [kind, s] of statements) {
        const plan = (
          await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, COSTS off, BUFFERS off) ${s.text}`, s.values)
        ).rows.map((r) => r['QUERY PLAN']);
        const seq = plan.filter((l) => /Seq Scan/.test(l)).map((l) => l.trim().replace(/\s+\(actual.*$/, ''));
        const idx = plan
          .filter((l) => /Index( Only)? Scan|Bitmap Index Scan/.test(l))
          .map((l) => (/ on (\S+)/.exec(l) ?? /Index Scan using (\S+)/.exec(l))?.[1] ?? l.trim());
        const time = plan.find((l) => l.startsWith('Execution Time'));
        console.log(
          `  ${kind.padEnd(36)} ${seq.length ? `SEQ SCAN: ${seq.join('; ')}` : 'no seq scan'}; index scans: ${[...new Set(idx)].join(', ') || 'none'}; ${time}`,
        );
        if (values.plans) console.log(plan.map((l) => `      ${l}`).join('\n'));
      }
    }
  } finally {
    await db.end().catch(() => undefined);
    await scratch.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    console.error(err.stack ?? err.message);
    process.exit(1);
  });
}
