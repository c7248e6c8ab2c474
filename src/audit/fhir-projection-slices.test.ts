import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_BASE, testRegistry } from '../fhir/repository/test-support.js';
import { SqliteFhirRepository } from '../fhir/sqlite/sqlite-repository.js';
import { WriteWaiters } from '../fhir/sqlite/write-waiters.js';
import { FhirProjection } from './fhir-projection.js';
import { listReadAccess } from './balp/test-support.js';
import { buildAuditEvents } from './index.js';
import type { ChainRecord } from './types.js';

const silent = { error: () => undefined };

/**
 * A list read as the chain stores it: one AuditEvent with `entities` entities (one per patient
 * shown, plus the query and the request id).
 */
function chainRecord(seq: number, entities: number): ChainRecord {
  const patients = entities - 2;
  const access = listReadAccess(
    `req-${seq}`,
    Array.from({ length: patients }, (_, i) => `p-${i}`),
  );
  const [event] = buildAuditEvents(access);
  expect(event!.entity).toHaveLength(entities);
  const id = `rec-${seq}`;
  return { seq, id, recorded: '2024-05-01T09:00:00Z', json: JSON.stringify({ ...event, id }), prevHash: '', hash: '' };
}

describe('the FHIR projection: slices of its writes', () => {
  let dir: string;
  let repo: SqliteFhirRepository;
  /** Creates per repository transaction, in order. */
  let transactions: number[];
  /** Calls of createMany (all of a slice's creates in one), over all transactions. */
  let createManyCalls: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-proj-slices-'));
    repo = new SqliteFhirRepository(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
    transactions = [];
    createManyCalls = 0;
    const original = repo.transaction.bind(repo);
    repo.transaction = ((fn, options) =>
      original(async (tx) => {
        let creates = 0;
        try {
          return await fn({
            ...tx,
            create: (r, o) => {
              creates++;
              return tx.create(r, o);
            },
            createMany: async (rs) => {
              createManyCalls++;
              creates += rs.length;
              return tx.createMany!(rs);
            },
          });
        } finally {
          transactions.push(creates);
        }
      }, options)) as typeof repo.transaction;
  });
  afterEach(() => {
    repo.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const projectionOf = (records: ChainRecord[], writers?: WriteWaiters) =>
    new FhirProjection(
      { iterate: () => records, projectedUpTo: () => 0, setProjectedUpTo: () => undefined },
      repo,
      silent,
      { intervalMs: 5, maxBatch: 1000, retryMs: 50 },
      writers,
    );

  it('ends a slice at 500 entities (at least one record) or at 40 records', async () => {
    const sizes = [600, 300, 300, 100, ...Array.from({ length: 50 }, () => 2)];
    const records = sizes.map((n, i) => chainRecord(i + 1, n));
    expect(await projectionOf(records).catchUp()).toBe(records.length);
    // [600] alone; [300, 300]; [100 + 39 × 2] (40 records: the cap); the 11 left.
    expect(transactions).toEqual([1, 2, 40, 11]);
    // A slice's events in runs of 10 per call (PostgreSQL: one statement each), not one create
    // each: 1 + 1 + 4 + 2 calls.
    expect(createManyCalls).toBe(8);
  });

  it("waits before a slice while a write of the server's connection waits for the lock, then copies", async () => {
    const waiters = new WriteWaiters();
    const leave = waiters.enter();
    const catchUp = projectionOf([chainRecord(1, 5), chainRecord(2, 5)], waiters).catchUp();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(transactions).toEqual([]); // the bound is 1 s
    leave();
    leave(); // once is what counts
    expect(waiters.waiting).toBe(0);
    expect(await catchUp).toBe(2);
    expect(transactions).toEqual([2]);
  });

  it('does not wait for ever: a slice goes ahead after 1 s of waiting writes', async () => {
    const waiters = new WriteWaiters();
    const leave = waiters.enter();
    try {
      const started = performance.now();
      expect(await projectionOf([chainRecord(1, 3)], waiters).catchUp()).toBe(1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    } finally {
      leave();
    }
  });
});
