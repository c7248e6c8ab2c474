import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { testPostgres } from '../core/postgres/test-cluster.js';
import { PgChainStore } from './chain-store-pg.js';
import { SqliteAuditChainStore } from './chain-store-sqlite.js';
import { auditChainStoreSuite } from './test-support.js';

auditChainStoreSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-chain-'));
  const file = join(dir, 'audit.sqlite');
  const store = SqliteAuditChainStore.open(file);
  return {
    store,
    another: async () => SqliteAuditChainStore.open(file),
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const server = testPostgres();
const skip = 'reason' in server ? server.reason : undefined;
afterAll(async () => {
  if (!('reason' in server)) await server.stop();
});

auditChainStoreSuite(
  'PostgreSQL',
  async () => {
    if ('reason' in server) throw new Error(server.reason);
    const url = await server.url();
    // A schema per test: suites may share one server (PG_TEST_URL).
    const schema = `audit_${randomBytes(6).toString('hex')}`;
    const store = await PgChainStore.open(url, { schema });
    return {
      store,
      // Another pool: what another instance does.
      another: async () => PgChainStore.open(url, { schema }),
      close: async () => {
        await store.dropSchema();
        await store.close();
      },
    };
  },
  { skip },
);
