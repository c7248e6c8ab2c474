import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openPool } from '../../core/postgres/pool.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { PgSecurityStore } from './pg-security-store.js';
import type { SecurityStore } from './security-store.js';
import { securityStoreSuite } from './security-test-support.js';
import { openSecurityDb, SECURITY_DB_FILE } from './sqlite-security-store.js';

securityStoreSuite('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-sec-'));
  const store = openSecurityDb(dir);
  const others: SecurityStore[] = [];
  return {
    store,
    another: async () => {
      const other = openSecurityDb(dir);
      others.push(other);
      return other;
    },
    dump: async (table) => JSON.stringify(store.db.prepare(`SELECT * FROM ${table}`).all()),
    close: async () => {
      for (const s of [store, ...others]) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const server = suitePostgres();
const { skip } = server;

securityStoreSuite(
  'PostgreSQL',
  async () => {
    const url = await server.url();
    // A schema per test: suites can share one server (PG_TEST_URL).
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const store = await PgSecurityStore.open(url, { schema });
    const others: PgSecurityStore[] = [];
    const pool = openPool(url, { max: 1 });
    return {
      store,
      another: async () => {
        const other = await PgSecurityStore.open(url, { schema });
        others.push(other);
        return other;
      },
      dump: async (table) => JSON.stringify((await pool.query(`SELECT * FROM ${schema}.${table}`)).rows),
      close: async () => {
        await store.dropSchema();
        for (const s of [store, ...others]) await s.close();
        await pool.end();
      },
    };
  },
  { skip },
);

describe('SQLite security store', () => {
  it('adopts security.sqlite of a build before versioned migrations, keeping its rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-sec-'));
    try {
      const old = new Database(join(dir, SECURITY_DB_FILE));
      old.exec(`CREATE TABLE users (username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
        fhir_user TEXT, patient TEXT, created_at TEXT NOT NULL);
        INSERT INTO users VALUES ('old', 'scrypt$x', 'clinician', NULL, NULL, '2025-01-01T00:00:00Z')`);
      old.close();
      const store = openSecurityDb(dir);
      expect(await store.user('old')).toMatchObject({ username: 'old', role: 'clinician' });
      expect(store.db.prepare(`SELECT version FROM schema_migrations WHERE store = 'security'`).all()).toEqual([
        { version: 1 },
      ]);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
