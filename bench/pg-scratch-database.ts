/**
 * A database of its own on the test cluster (PG_TEST_URL or a throwaway cluster) for the bench's
 * PostgreSQL probes: made empty, dropped with the cluster stopped by `close()`.
 */
import pg from 'pg';
import { testPostgres } from '../src/core/postgres/test-cluster.js';

export interface ScratchDatabase {
  /** postgres:// URL of the new database. */
  url: string;
  close(): Promise<void>;
}

export async function scratchDatabase(name: string): Promise<ScratchDatabase> {
  const cluster = testPostgres();
  if ('reason' in cluster) throw new Error(`${cluster.reason} (set PG_TEST_URL)`);
  const admin = new pg.Client({ connectionString: await cluster.url() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(await cluster.url());
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    close: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
      await cluster.stop();
    },
  };
}
