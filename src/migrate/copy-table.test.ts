import Database from 'better-sqlite3';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPool } from '../core/postgres/pool.js';
import { testDatabase } from '../core/postgres/test-database.js';
import { compareTable, copyTable, type TableSpec } from './copy-table.js';
import { prepareTarget } from './target.js';

const db = testDatabase('ib_migrate_unit');

describe.skipIf(db.skip !== undefined)(`copyTable${db.skip ? ` (skipped: ${db.skip})` : ''}`, () => {
  let pool: pg.Pool;
  const source = new Database(':memory:');
  source.exec(`CREATE TABLE sync_outbox (study_uid TEXT PRIMARY KEY, seq INTEGER NOT NULL DEFAULT 1,
    first_changed_at INTEGER NOT NULL, changed_at INTEGER NOT NULL, reason TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0, dead INTEGER NOT NULL DEFAULT 0, last_error TEXT)`);
  const insert = source.prepare(
    'INSERT INTO sync_outbox (study_uid, first_changed_at, changed_at, reason, dead) VALUES (?, ?, ?, ?, ?)',
  );
  for (let i = 0; i < 7; i++) insert.run(`1.2.${i}`, i, i + 1, 'stored', i % 2);
  const spec: TableSpec = { db: source, from: 'sync_outbox', to: 'archive.sync_outbox' };

  beforeAll(async () => {
    await db.setup();
    pool = openPool(db.url(), { max: 2 });
    await prepareTarget(pool, '/nowhere', false);
  }, 60_000);

  afterAll(async () => {
    await pool?.end();
    await db.teardown();
  });

  it('copies in batches, resumes from its mark without copying a row twice, and the hashes agree', async () => {
    await copyTable(pool, spec, 3);
    // A second run (as after a kill once everything was committed) adds nothing.
    await copyTable(pool, spec, 3);
    const c = await compareTable(pool, spec);
    expect(c).toMatchObject({ source: 7, target: 7 });
    expect(c!.targetHash).toBe(c!.sourceHash);
    const dead = await pool.query('SELECT count(*)::int AS n FROM archive.sync_outbox WHERE dead');
    expect(dead.rows[0].n).toBe(3);
  });

  it('tells a target row whose content differs, and a missing one', async () => {
    await pool.query(`UPDATE archive.sync_outbox SET reason = 'changed' WHERE study_uid = '1.2.4'`);
    const changed = await compareTable(pool, spec);
    expect(changed!.target).toBe(7);
    expect(changed!.targetHash).not.toBe(changed!.sourceHash);
    await pool.query(`DELETE FROM archive.sync_outbox WHERE study_uid = '1.2.4'`);
    expect((await compareTable(pool, spec))!.target).toBe(6);
  });

  it('refuses a target holding data unless resuming a migration of the same source', async () => {
    await expect(prepareTarget(pool, '/nowhere', false)).rejects.toThrow(/--resume/);
    await expect(prepareTarget(pool, '/elsewhere', true)).rejects.toThrow(/not of \/elsewhere/);
    await expect(prepareTarget(pool, '/nowhere', true)).resolves.toBeUndefined();
  });
});
