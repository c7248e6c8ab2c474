import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { suitePostgres } from '../core/postgres/suite-postgres.js';
import { PgSourceStateStore } from './pg-state-store.js';
import { SqliteSourceStateStore } from './sqlite-state-store.js';
import { sourceStateSuite } from './state-test-support.js';

sourceStateSuite('SQLite', () => {
  const db = new Database(':memory:');
  return { store: new SqliteSourceStateStore(db), close: () => void db.close() };
});

const server = suitePostgres();
const { skip } = server;

sourceStateSuite(
  'PostgreSQL',
  async () => {
    // A schema per test: suites can share one server (PG_TEST_URL).
    const store = await PgSourceStateStore.open(await server.url(), { schema: `t_${randomBytes(6).toString('hex')}` });
    return {
      store,
      close: async () => {
        await store.dropSchema();
        await store.close();
      },
    };
  },
  { skip },
);

describe('SqliteSourceStateStore', () => {
  it('adopts the tables of a build before versioned migrations, with or without the endpoint_choice column', () => {
    for (const withChoice of [false, true]) {
      const db = new Database(':memory:');
      db.exec(`CREATE TABLE source_state (name TEXT PRIMARY KEY, kind TEXT NOT NULL, mode TEXT NOT NULL,
        endpoint TEXT NOT NULL, last_poll_at INTEGER, last_poll_ok_at INTEGER, last_reconcile_at INTEGER,
        last_window_from TEXT, last_error TEXT, polls INTEGER NOT NULL DEFAULT 0, updated_at INTEGER NOT NULL)`);
      if (withChoice) db.exec('ALTER TABLE source_state ADD COLUMN endpoint_choice TEXT');
      db.exec(
        `INSERT INTO source_state(name, kind, mode, endpoint, polls, updated_at) VALUES ('old', 'dimse', 'copy', 'X', 7, 1)`,
      );
      new SqliteSourceStateStore(db);
      expect(db.prepare('SELECT name, polls, endpoint_choice AS c FROM source_state').all()).toEqual([
        { name: 'old', polls: 7, c: null },
      ]);
      expect(db.prepare(`SELECT max(version) AS v FROM schema_migrations WHERE store = 'sources'`).get()).toEqual({
        v: 2,
      });
    }
  });
});
