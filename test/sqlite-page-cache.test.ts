/**
 * The page-cache bound of every kind of SQLite connection the server holds open while it takes
 * C-STOREs (core/sqlite-cache.ts; issue 21, P3's peak RSS): read back from each connection with
 * `PRAGMA cache_size`, plain and encrypted at rest.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteIndex } from '../src/archive/sqlite/sqlite-index.js';
import { ChainStore } from '../src/audit/chain-store.js';
import { boundPageCache, PAGE_CACHE_KIB } from '../src/core/sqlite-cache.js';
import { openSqlite } from '../src/core/sqlite-open.js';
import { TEST_BASE, testRegistry } from '../src/fhir/repository/test-support.js';
import { SqliteFhirRepository } from '../src/fhir/sqlite/sqlite-repository.js';

const cacheKib = (db: Database.Database) => -(db.pragma('cache_size', { simple: true }) as number);

describe('SQLite page-cache bounds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ib-page-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('are far below better-sqlite3’s 16 MB default for every connection (index 8 MB, fhir.sqlite 4 MB)', () => {
    // issue 21 (P3 peak RSS): session 16 bounded them at 16 and 8 MB, session 21 at 8 and 4.
    expect(PAGE_CACHE_KIB.archiveIndex).toBe(8 * 1024);
    expect(PAGE_CACHE_KIB.fhirStore).toBeLessThanOrEqual(4 * 1024);
    expect(PAGE_CACHE_KIB.side).toBeLessThanOrEqual(2 * 1024);
  });

  it('bounds the archive index’s connection, plain and encrypted', async () => {
    const plain = new SqliteIndex(join(dir, 'index.sqlite'));
    expect(cacheKib(plain.db)).toBe(PAGE_CACHE_KIB.archiveIndex);
    await plain.close();
    const encrypted = new SqliteIndex(join(dir, 'index-enc.sqlite'), [randomBytes(32)]);
    expect(cacheKib(encrypted.db)).toBe(PAGE_CACHE_KIB.archiveIndex);
    await encrypted.close();
  });

  it('bounds fhir.sqlite’s connections: writer, read-only replica, and a caller’s own bound', () => {
    const file = join(dir, 'fhir.sqlite');
    const writer = new SqliteFhirRepository(file, { registry: testRegistry(), baseUrl: TEST_BASE });
    expect(cacheKib(writer.db)).toBe(PAGE_CACHE_KIB.fhirStore);
    const replica = new SqliteFhirRepository(file, { registry: testRegistry(), baseUrl: TEST_BASE, readOnly: true });
    expect(cacheKib(replica.db)).toBe(PAGE_CACHE_KIB.fhirStore);
    const side = new SqliteFhirRepository(file, {
      registry: testRegistry(),
      baseUrl: TEST_BASE,
      cacheKib: PAGE_CACHE_KIB.side,
    });
    expect(cacheKib(side.db)).toBe(PAGE_CACHE_KIB.side);
    for (const r of [side, replica, writer]) r.close();
  });

  it('bounds the audit chain’s connections, writing and read-only', () => {
    const file = join(dir, 'audit.sqlite');
    const writer = new ChainStore(file);
    expect(cacheKib(writer.db)).toBe(PAGE_CACHE_KIB.side);
    const reader = new ChainStore(file, { readonly: true });
    expect(cacheKib(reader.db)).toBe(PAGE_CACHE_KIB.side);
    reader.close();
    writer.close();
  });

  it('refuses a bound that is not a positive whole number of KiB', () => {
    const db = openSqlite(':memory:', undefined);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => boundPageCache(db, bad)).toThrow(RangeError);
    boundPageCache(db, 512);
    expect(cacheKib(db)).toBe(512);
    db.close();
  });
});
