import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaTooNewError } from '../core/postgres/migrations.js';
import { openPool } from '../core/postgres/pool.js';
import { suitePostgres } from '../core/postgres/suite-postgres.js';
import { PgChainStore } from './chain-store-pg.js';
import { SqliteAuditChainStore } from './chain-store-sqlite.js';
import { auditChainStoreSuite, expectOneChain, newRecord, TEST_KEY } from './test-support.js';
import type { ChainRecord } from './types.js';
import { verifyChain } from './verify.js';

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

const server = suitePostgres();
const { skip } = server;

auditChainStoreSuite(
  'PostgreSQL',
  async () => {
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

describe.skipIf(skip !== undefined)(server.title('PostgreSQL audit chain'), () => {
  it('appends in one statement when this instance left the head, and in one more when another instance appended meanwhile', async () => {
    const url = await server.url();
    const schema = `audit_${randomBytes(6).toString('hex')}`;
    const pool = openPool(url, { max: 2 });
    // Round trips: every query a connection of this instance's pool sends (one answer awaited each).
    let roundTrips = 0;
    pool.on('connect', (client) => {
      const query = client.query.bind(client);
      client.query = ((...args: Parameters<typeof query>) => {
        roundTrips++;
        return query(...args);
      }) as typeof client.query;
    });
    const store = await PgChainStore.open(pool, { schema });
    const other = await PgChainStore.open(url, { schema });
    try {
      await store.append([newRecord('first')], TEST_KEY); // learns the head
      roundTrips = 0;
      for (let i = 0; i < 10; i++) await store.append([newRecord(`own-${i}`), newRecord(`own-${i}-b`)], TEST_KEY);
      expect(roundTrips).toBe(10);
      await other.append([newRecord('other')], TEST_KEY);
      roundTrips = 0;
      const [after] = await store.append([newRecord('after-other')], TEST_KEY);
      expect(roundTrips).toBe(2);
      expect(after!.seq).toBe(23);
      const all: ChainRecord[] = [];
      for await (const r of other.iterate()) all.push(r);
      expectOneChain(all);
      expect(await verifyChain(other, TEST_KEY)).toMatchObject({ ok: true, records: 23 });
    } finally {
      await other.close();
      await store.dropSchema();
      await pool.end();
    }
  });

  it('after three lost races in a row an append holds the head in a transaction and gets in', async () => {
    const url = await server.url();
    const schema = `audit_${randomBytes(6).toString('hex')}`;
    const pool = openPool(url, { max: 2 });
    const store = await PgChainStore.open(pool, { schema });
    const other = await PgChainStore.open(url, { schema });
    try {
      await store.append([newRecord('first')], TEST_KEY);
      // Another instance appends just before each of this one's optimistic statements (on the pool;
      // the transaction's statements run on a client checked out of it, with nobody in between).
      let interloped = 0;
      const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
      pool.query = (async (...args: unknown[]) => {
        const name = (args[0] as { name?: string }).name;
        if (name?.startsWith('ib-audit-append')) await other.append([newRecord(`other-${++interloped}`)], TEST_KEY);
        return query(...args);
      }) as unknown as typeof pool.query;
      const [mine] = await store.append([newRecord('mine')], TEST_KEY);
      expect(interloped).toBe(3);
      expect(mine!.seq).toBe(5);
      const all: ChainRecord[] = [];
      for await (const r of other.iterate()) all.push(r);
      expect(all.map((r) => r.id)).toEqual(['rec-first', 'rec-other-1', 'rec-other-2', 'rec-other-3', 'rec-mine']);
      expectOneChain(all);
    } finally {
      await other.close();
      await store.dropSchema();
      await pool.end();
    }
  });

  it('keeps one chain when four instances append at the same time, many times', async () => {
    const url = await server.url();
    const schema = `audit_${randomBytes(6).toString('hex')}`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => PgChainStore.open(url, { schema })));
    try {
      await Promise.all(
        stores.map(async (s, k) => {
          for (let i = 0; i < 40; i++) await s.append([newRecord(`${k}-${i}-a`), newRecord(`${k}-${i}-b`)], TEST_KEY);
        }),
      );
      const all: ChainRecord[] = [];
      for await (const r of stores[0]!.iterate()) all.push(r);
      expect(all).toHaveLength(320);
      expectOneChain(all);
      for (let i = 0; i < 320; i += 2) expect(all[i + 1]!.id).toBe(all[i]!.id.replace(/-a$/, '-b'));
      expect(await stores[1]!.head()).toEqual({ seq: 320, hash: all[319]!.hash });
    } finally {
      await stores[0]!.dropSchema();
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE of records, and verify catches an edit made with the triggers off', async () => {
    const url = await server.url();
    const schema = `audit_${randomBytes(6).toString('hex')}`;
    const store = await PgChainStore.open(url, { schema });
    const pool = openPool(url, { max: 1 });
    try {
      await store.append([newRecord(1), newRecord(2), newRecord(3)], TEST_KEY);
      for (const sql of [
        `UPDATE ${schema}.record SET json = '{}' WHERE seq = 2`,
        `DELETE FROM ${schema}.record WHERE seq = 3`,
        `TRUNCATE ${schema}.record`,
      ])
        await expect(pool.query(sql)).rejects.toThrow(/audit records are append-only/);
      expect(await verifyChain(store, TEST_KEY)).toMatchObject({ ok: true, records: 3 });
      // What the database owner can still do: the chain shows it.
      await pool.query(`ALTER TABLE ${schema}.record DISABLE TRIGGER USER`);
      await pool.query(`UPDATE ${schema}.record SET json = replace(json, 'rec-2', 'rec-X') WHERE seq = 2`);
      expect(await verifyChain(store, TEST_KEY)).toMatchObject({ ok: false, brokenSeq: 2, records: 1 });
    } finally {
      await pool.end();
      await store.dropSchema();
      await store.close();
    }
  });

  it('opens read-only without creating anything, refuses writes then, and refuses a newer schema (read-only: an older one too)', async () => {
    const url = await server.url();
    const schema = `audit_${randomBytes(6).toString('hex')}`;
    await expect(PgChainStore.open(url, { schema, readonly: true })).rejects.toThrow(/no audit chain in PostgreSQL/);
    const store = await PgChainStore.open(url, { schema });
    const reader = await PgChainStore.open(url, { schema, readonly: true });
    const pool = openPool(url, { max: 1 });
    try {
      await expect(reader.append([newRecord(1)], TEST_KEY)).rejects.toThrow(/read-only/);
      // The read-only open checks the version too (it must not read a schema it does not know).
      const { rows } = await pool.query(`SELECT max(version) AS v FROM ${schema}.schema_migrations`);
      await pool.query(`UPDATE ${schema}.schema_migrations SET version = 0 WHERE version = $1`, [rows[0].v]);
      await expect(PgChainStore.open(url, { schema, readonly: true })).rejects.toThrow(
        /older than this ImagingBridge reads/,
      );
      await pool.query(`UPDATE ${schema}.schema_migrations SET version = $1 WHERE version = 0`, [rows[0].v]);
      await pool.query(`INSERT INTO ${schema}.schema_migrations(version, description) VALUES (99, 'future')`);
      await expect(PgChainStore.open(url, { schema })).rejects.toBeInstanceOf(SchemaTooNewError);
      await expect(PgChainStore.open(url, { schema, readonly: true })).rejects.toBeInstanceOf(SchemaTooNewError);
    } finally {
      await pool.end();
      await reader.close();
      await store.dropSchema();
      await store.close();
    }
  });
});
