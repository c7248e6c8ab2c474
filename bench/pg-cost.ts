/**
 * What a run costs PostgreSQL, for bench/cstore-cpu.ts --pg-url: a fresh database on the cluster
 * at the URL, the statements sent to it (pg_stat_statements, when the cluster preloads it:
 * shared_preload_libraries=pg_stat_statements) and the CPU of the whole cluster (postmaster,
 * its live children, and the children it has reaped: cutime+cstime), read from /proc — so the
 * cluster must run on this machine, and only this run should use it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const TICK_MS = 10; // USER_HZ 100

export interface PgCost {
  /** The fresh database, for --database. */
  url: string;
  /** Statement counts and cluster CPU from here on. */
  reset(): Promise<void>;
  /** Since reset(): statements (by text, most called first) and cluster CPU. */
  read(): Promise<{
    calls: number;
    bySchema: Map<string, number>;
    top: { calls: number; query: string }[];
    cpuMs: number;
  }>;
  drop(): Promise<void>;
}

export async function pgCost(adminUrl: string): Promise<PgCost> {
  const database = `ib_cstore_${process.pid}`;
  const admin = async <T>(url: string, run: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      return await run(c);
    } finally {
      await c.end();
    }
  };
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${database}`));
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  const url = u.toString();
  const dataDir = await admin(url, async (c) => {
    await c.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    return (await c.query<{ d: string }>('SELECT current_setting($1) AS d', ['data_directory'])).rows[0]!.d;
  });
  const postmaster = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let cpu0 = 0;
  return {
    url,
    async reset() {
      await admin(url, (c) => c.query('SELECT pg_stat_statements_reset()'));
      cpu0 = clusterCpuMs(postmaster);
    },
    async read() {
      const cpuMs = clusterCpuMs(postmaster) - cpu0;
      const { rows } = await admin(url, (c) =>
        c.query<{ calls: string; query: string }>(
          `SELECT calls, query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
           WHERE d.datname = $1 AND query NOT LIKE '%pg_stat_statements%' ORDER BY calls DESC`,
          [database],
        ),
      );
      const top = rows.map((r) => ({ calls: Number(r.calls), query: r.query.replace(/\s+/g, ' ').slice(0, 160) }));
      const bySchema = new Map<string, number>();
      for (const r of top) {
        // The schema of the first table named (BEGIN, COMMIT, advisory locks: 'other').
        const schema = /(?:FROM|INTO|UPDATE|JOIN)\s+(\w+)\./i.exec(r.query)?.[1] ?? 'other';
        bySchema.set(schema, (bySchema.get(schema) ?? 0) + r.calls);
      }
      return { calls: top.reduce((n, r) => n + r.calls, 0), bySchema, top, cpuMs };
    },
    drop: () => admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)).then(() => {}),
  };
}

/** utime+stime (+ cutime+cstime for the postmaster: its reaped children) of the cluster's processes. */
function clusterCpuMs(postmaster: number): number {
  let ticks = 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone since the listing
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pid = Number(name);
    if (pid === postmaster) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    else if (Number(f[1]) === postmaster) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * TICK_MS;
}
