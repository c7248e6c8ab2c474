/**
 * `migrate` with the instance bytes left where they are (no --blob-store) and copied into another
 * folder (--blob-store file:DIR): a real server builds the source (STOW-RS), migrate copies it into a database of its own on the
 * test PostgreSQL, and the copied PostgreSQL index finds every instance with the same bytes in
 * the place the report names. The s3:// target is test/migrate.e2e.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveBlobStore } from '../src/archive/archive-blob-store.js';
import { PgIndex } from '../src/archive/postgres/pg-index.js';
import { runMigrate } from '../src/cli/migrate-command.js';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { stow } from './support/http.js';
import { cliInProcess } from './support/cli-in-process.js';
import { startTestServer } from './support/server.js';
import { expectSentBytesStored } from './support/stored-bytes-check.js';

const STUDY = `${ROOT}.95.${process.pid}`;
const SENT = new Map<string, Buffer>([
  [`${STUDY}.1.1`, ctInstance({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.1`, rows: 16, columns: 16 })],
  [`${STUDY}.1.2`, ctInstance({ study: STUDY, series: `${STUDY}.1`, sop: `${STUDY}.1.2`, rows: 64, columns: 64 })],
]);

const migrate = (args: string[]) => cliInProcess(runMigrate, args);

const db = testDatabase('ib_migrate_blobs');

describe.skipIf(db.skip !== undefined)(`migrate: blob targets${db.skip ? ` (skipped: ${db.skip})` : ''}`, () => {
  const from = mkdtempSync(join(tmpdir(), 'ib-migrate-blobs-src-'));
  const into = mkdtempSync(join(tmpdir(), 'ib-migrate-blobs-dst-'));
  /** A second database on the same cluster, for the second run (a migration refuses a target holding data). */
  let second: string;

  beforeAll(async () => {
    await db.setup();
    const admin = openPool(db.url(), { max: 1 });
    const name = `${new URL(db.url()).pathname.slice(1)}_file`;
    await admin.query(`CREATE DATABASE ${name}`).finally(() => admin.end());
    const u = new URL(db.url());
    u.pathname = `/${name}`;
    second = u.toString();
    const source = await startTestServer({ 'data-dir': from, 'log-level': 'warn' });
    try {
      expect(await stow(source.url, [...SENT.values()])).toBe(200);
    } finally {
      await source.stop();
    }
  }, 180_000);

  afterAll(async () => {
    if (second) {
      const admin = openPool(db.url(), { max: 1 });
      await admin
        .query(`DROP DATABASE IF EXISTS ${new URL(second).pathname.slice(1)} WITH (FORCE)`)
        .finally(() => admin.end());
    }
    await db.teardown();
    for (const d of [from, into, `${from}.audit-key`, `${from}.audit-key.checkpoint`])
      rmSync(d, { recursive: true, force: true });
  });

  /** Every sent instance found by the copied index, its bytes read from `root` under the copied key. */
  async function expectBytes(url: string, root: string): Promise<void> {
    const index = await PgIndex.open(url);
    const blobs = new ArchiveBlobStore(root, { packWriter: false, cipher: undefined });
    try {
      await expectSentBytesStored(index, blobs, SENT);
    } finally {
      await index.close();
    }
  }

  it('without --blob-store keeps the keys: the bytes are read from the source data directory', async () => {
    const r = await migrate(['--from', from, '--to', db.url()]);
    expect(r.out).toMatch(/kept\s+objects\s+instance bytes stay in the source data directory/);
    expect(r.out).toMatch(/ok\s+archive\.instances\s+2 → 2 rows/);
    expect(r.out).toContain('migration verified');
    expect(r.code).toBe(0);
    await expectBytes(db.url(), from);
  }, 120_000);

  it('refuses the source data directory as the file: target', async () => {
    const r = await migrate(['--from', from, '--to', second, '--blob-store', `file:${from}`]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('--blob-store file:DIR must not be the source data directory');
    // Refused before the target was touched: the next run needs no --resume.
    const pool = openPool(second, { max: 1 });
    const schemas = await pool.query("SELECT 1 FROM pg_namespace WHERE nspname = 'migrate'").finally(() => pool.end());
    expect(schemas.rowCount).toBe(0);
  }, 60_000);

  it('--blob-store file:DIR copies every object there, read back and hashed', async () => {
    const r = await migrate(['--from', from, '--to', second, '--blob-store', `file:${into}`]);
    expect(r.out).toMatch(/ok\s+objects\s+2 read back, 0 missing or different/);
    expect(r.out).toContain('migration verified');
    expect(r.code).toBe(0);
    await expectBytes(second, into);
  }, 120_000);
});
