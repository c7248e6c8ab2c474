/**
 * `--backend postgres`: our server with `--database postgres://…`, a fresh database for each
 * server start (as each start gets a fresh data folder), on the cluster of
 * src/core/postgres/test-cluster.ts — the server at PG_TEST_URL, else a throwaway cluster in a
 * temporary folder. That throwaway cluster runs with fsync off: its figures say what the code
 * costs, not what a durable PostgreSQL costs; report figures need PG_TEST_URL on a server
 * configured as in production (fsync and synchronous_commit on).
 */
import pg from 'pg';
import { testPostgres } from '../src/core/postgres/test-cluster.js';
import { bridgeFactory, type BridgeFactoryOptions, type ServerFactory } from './servers.js';

export interface PostgresBackend {
  factory: ServerFactory;
  /** Drops the databases made and stops a throwaway cluster. */
  stop(): Promise<void>;
}

export function postgresBackend(opts: BridgeFactoryOptions, env: NodeJS.ProcessEnv = process.env): PostgresBackend {
  const server = testPostgres(env);
  if ('reason' in server) throw new Error(`--backend postgres: ${server.reason} (set PG_TEST_URL)`);
  const made: string[] = [];
  let inner = bridgeFactory(opts);
  const withDatabase = (url: string, database: string): string => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const admin = async <T>(run: (c: pg.Client) => Promise<T>): Promise<T> => {
    const c = new pg.Client({ connectionString: await server.url() });
    await c.connect();
    try {
      return await run(c);
    } finally {
      await c.end();
    }
  };
  return {
    factory: {
      side: 'ours',
      label: 'ImagingBridge (PostgreSQL)',
      async start(dir) {
        const database = `ib_bench_${process.pid}_${made.length + 1}`;
        await admin((c) => c.query(`CREATE DATABASE ${database}`));
        made.push(database);
        const url = withDatabase(await server.url(), database);
        inner = bridgeFactory({ ...opts, extraArgs: [...(opts.extraArgs ?? []), '--database', url] });
        return inner.start(dir);
      },
      describe: () => ({
        ...inner.describe(),
        database: env.PG_TEST_URL
          ? 'PostgreSQL at PG_TEST_URL, a fresh database per server start'
          : 'throwaway PostgreSQL cluster (fsync off: code costs only), a fresh database per server start',
      }),
    },
    stop: async () => {
      if (env.PG_TEST_URL)
        await admin(async (c) => {
          for (const d of made) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
        }).catch(() => undefined);
      await server.stop();
    },
  };
}
