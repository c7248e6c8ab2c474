/**
 * `--backend postgres`: our server with `--database postgres://…` and `--blob-store s3://…`, as
 * issue 22 asks (PostgreSQL + S3-compatible storage). A fresh database for each server start (as
 * each start gets a fresh data folder), on the cluster of src/core/postgres/test-cluster.ts — the
 * server at PG_TEST_URL, else a throwaway cluster in a temporary folder — and a fresh prefix in one
 * bucket of an S3-compatible server: s3rver in this process (the in-repo test server, blobs on
 * local disk behind S3's HTTP API). That throwaway cluster runs with fsync off: its figures say
 * what the code costs, not what a durable PostgreSQL costs; report figures need PG_TEST_URL on a
 * server configured as in production (fsync and synchronous_commit on).
 *
 * SCALE and P9 fill a database made by freshDatabase() through the PostgreSQL stores themselves
 * (scale-index.ts, p9-fhir-search.ts), then start the server on it with start(dir, { database }).
 */
import pg from 'pg';
import { startTestS3, type TestS3 } from '../src/archive/blob/test-support.js';
import { testPostgres } from '../src/core/postgres/test-cluster.js';
import { bridgeFactory, type BridgeFactoryOptions, type ServerFactory } from './servers.js';

export interface PostgresBackend {
  factory: ServerFactory;
  /** Drops the databases made, stops a throwaway cluster and the S3 server. */
  stop(): Promise<void>;
}

const BUCKET = 'ib-bench';

export interface PostgresBackendOptions extends BridgeFactoryOptions {
  /** Where blobs go: `s3` (default, s3rver) or `local` (the data folder, as the SQLite run). */
  blobs?: 's3' | 'local';
}

export function postgresBackend(opts: PostgresBackendOptions, env: NodeJS.ProcessEnv = process.env): PostgresBackend {
  const useS3 = (opts.blobs ?? 's3') === 's3';
  const server = testPostgres(env);
  if ('reason' in server) throw new Error(`--backend postgres: ${server.reason} (set PG_TEST_URL)`);
  const made: string[] = [];
  let starts = 0;
  // A data folder started again (P5's cold restart, CT400 stored once for P5/P6/P13) must find its
  // database and bucket prefix again, as the SQLite run finds its files in the folder.
  const stores = new Map<string, { url: string; prefix: string }>();
  let s3: Promise<TestS3> | undefined;
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
  const freshDatabase = async (): Promise<string> => {
    const database = `ib_bench_${process.pid}_${made.length + 1}`;
    await admin((c) => c.query(`CREATE DATABASE ${database}`));
    made.push(database);
    return withDatabase(await server.url(), database);
  };
  return {
    factory: {
      side: 'ours',
      label: useS3 ? 'ImagingBridge (PostgreSQL + S3)' : 'ImagingBridge (PostgreSQL)',
      freshDatabase,
      async start(dir, startOpts) {
        let kept = startOpts?.database === undefined ? stores.get(dir) : undefined;
        if (kept === undefined) {
          kept = {
            url: startOpts?.database ?? (await freshDatabase()),
            prefix: startOpts?.blobPrefix ?? `start-${++starts}`,
          };
          stores.set(dir, kept);
        }
        const { url, prefix } = kept;
        if (useS3) s3 ??= startTestS3(BUCKET);
        const bucket = useS3 ? await s3 : undefined;
        inner = bridgeFactory({
          ...opts,
          extraArgs: [
            ...(opts.extraArgs ?? []),
            ...(startOpts?.args ?? []),
            '--database',
            url,
            ...(bucket ? ['--blob-store', `s3://${BUCKET}/${prefix}`] : []),
          ],
          env: { ...opts.env, ...bucket?.env },
        });
        return inner.start(dir);
      },
      describe: () => ({
        ...inner.describe(),
        database: env.PG_TEST_URL
          ? 'PostgreSQL at PG_TEST_URL, a fresh database per data folder (a restart finds it again)'
          : 'throwaway PostgreSQL cluster (fsync off: code costs only), a fresh database per data folder (a restart finds it again)',
        blobStore: useS3
          ? 's3rver (S3-compatible, in the bench process, objects on local disk), one bucket, a fresh prefix per data folder'
          : 'files in the data folder (--pg-blobs local)',
      }),
    },
    stop: async () => {
      if (env.PG_TEST_URL)
        await admin(async (c) => {
          for (const d of made) await c.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`);
        }).catch(() => undefined);
      await server.stop();
      await (await s3?.catch(() => undefined))?.stop();
    },
  };
}
