import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPool } from './pool.js';
import { testPostgres } from './test-cluster.js';

/** A database of its own on the test PostgreSQL, for end-to-end suites whose servers share it. */
export interface TestDatabase {
  /** Why the suite is skipped (no PostgreSQL), or undefined. */
  skip: string | undefined;
  /** Its URL, once setup() ran. */
  url(): string;
  /** Instances sharing a database share its audit chain, so its key (docs/postgresql.md): one path for all. */
  auditKeyFile: string;
  /** A folder for other keys the suite makes; removed by teardown(). */
  keyDir: string;
  /** Creates the database (beforeAll); nothing without PostgreSQL. */
  setup(): Promise<void>;
  /**
   * Restarts the throwaway cluster (TestPostgres.restart); undefined with PG_TEST_URL or without
   * PostgreSQL.
   */
  restart: ((down?: () => Promise<void>) => Promise<void>) | undefined;
  /** Drops it, removes the key folder and stops a throwaway cluster (afterAll). */
  teardown(): Promise<void>;
}

/** testPostgres() plus CREATE DATABASE ib_e2e_<random> and a key folder: what every e2e suite on PostgreSQL repeated. */
export function testDatabase(prefix = 'ib_e2e'): TestDatabase {
  const server = testPostgres();
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const keyDir = mkdtempSync(join(tmpdir(), 'ib-pg-key-'));
  let url: string | undefined;
  return {
    skip: 'reason' in server ? server.reason : undefined,
    url: () => {
      if (url === undefined) throw new Error('testDatabase: url() before setup()');
      return url;
    },
    auditKeyFile: join(keyDir, 'audit.key'),
    keyDir,
    restart: 'reason' in server ? undefined : server.restart,
    setup: async () => {
      if ('reason' in server) return;
      const base = await server.url();
      const admin = openPool(base, { max: 1 });
      try {
        await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      const u = new URL(base);
      u.pathname = `/${name}`;
      url = u.toString();
    },
    teardown: async () => {
      rmSync(keyDir, { recursive: true, force: true });
      if ('reason' in server) return;
      if (url !== undefined) {
        const admin = openPool(await server.url(), { max: 1 });
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => admin.end());
      }
      await server.stop();
    },
  };
}
