/**
 * An append of several entries that fails because another connection holds the audit file's
 * write lock is not retried entry by entry: each retry would wait out the busy timeout again,
 * with the writer thread stalled. An append that fails for one entry (its id already in the
 * chain) still is, so the other entries are recorded. Real SQLite, a real lock.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendEntries } from './audit-entry.js';
import type { NewRecord } from './chain-store-contract.js';
import { ChainStore, worthRetryingAlone } from './chain-store.js';
import { newRecord, TEST_KEY } from './test-support.js';

describe('audit chain: writes meeting a locked file', () => {
  let dir: string;
  let store: ChainStore;
  let attempts: number;
  const append = (records: NewRecord[]) => {
    attempts += 1;
    return store.append(records, TEST_KEY);
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-chain-busy-'));
    store = new ChainStore(join(dir, 'audit.sqlite'), { busyTimeoutMs: 50 });
    attempts = 0;
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails every entry after one wait, without retrying them one by one', async () => {
    const other = new Database(join(dir, 'audit.sqlite'));
    other.exec('BEGIN EXCLUSIVE');
    try {
      const results = await appendEntries([[newRecord(1)], [newRecord(2)], [newRecord(3)]], append, worthRetryingAlone);
      expect(attempts).toBe(1);
      expect(results.every((r) => 'error' in r && /locked|busy/i.test(r.error.message))).toBe(true);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    // Once the lock is gone the same entries go in.
    const again = await appendEntries([[newRecord(1)], [newRecord(2)]], append, worthRetryingAlone);
    expect(again.map((r) => ('records' in r ? r.records.length : 0))).toEqual([1, 1]);
  });

  it('still retries one by one when one entry is refused (its id is in the chain already)', async () => {
    await appendEntries([[newRecord(1)]], append, worthRetryingAlone);
    attempts = 0;
    const results = await appendEntries([[newRecord(2)], [newRecord(1)], [newRecord(3)]], append, worthRetryingAlone);
    expect(attempts).toBe(4);
    expect(results.map((r) => ('records' in r ? 'stored' : 'refused'))).toEqual(['stored', 'refused', 'stored']);
  });

  it("stores the projection's watermark without waiting for the lock, or not at all", () => {
    const patient = new ChainStore(join(dir, 'audit.sqlite'), { busyTimeoutMs: 5000 });
    const other = new Database(join(dir, 'audit.sqlite'));
    other.exec('BEGIN EXCLUSIVE');
    try {
      const started = process.hrtime.bigint();
      expect(patient.trySetProjectedUpTo('fhir', 7)).toBe(false);
      // Far below the 5 s busy timeout: it did not wait (a waiting write would take 5 s here).
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2500);
      expect(patient.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(patient.trySetProjectedUpTo('fhir', 7)).toBe(true);
    expect(patient.projectedUpTo('fhir')).toBe(7);
    patient.close();
  });
});
