import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OperationOutcomeError } from '../../core/errors.js';
import { TEST_BASE, find, testRegistry } from '../repository/test-support.js';
import {
  busySqliteWriter,
  holdSqliteWriteLock as holdLock,
  longestStall,
} from '../../../test/support/sqlite-lock-holder.js';
import { SqliteFhirRepository } from './sqlite-repository.js';

/** Far below what sleeping in SQLite's busy handler costs here, above a busy machine's timer jitter. */
const STALL_BOUND_MS = 300;

describe('SQLite FHIR repository with another writer holding the lock', () => {
  let dir: string;
  let file: string;
  let repo: SqliteFhirRepository;
  const open = (writeLockWaitMs: number) => {
    repo = new SqliteFhirRepository(file, { registry: testRegistry(), baseUrl: TEST_BASE, writeLockWaitMs });
    return repo;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ib-fhir-lock-'));
    file = join(dir, 'fhir.sqlite');
  });
  afterEach(() => {
    repo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits for the lock on timers: the write lands after the release and the event loop keeps running', async () => {
    open(10_000);
    const { released } = await holdLock(file, 600);
    const first = repo.create({ resourceType: 'Patient', name: [{ family: 'First' }] });
    const second = repo.create({ resourceType: 'Patient', name: [{ family: 'Second' }] });
    const { result, stallMs } = await longestStall(Promise.all([first, second]));
    const done = performance.now();
    expect(result.status).toBe('fulfilled');
    // SQLite's busy handler would have slept on this thread for most of the 600 ms hold.
    expect(stallMs).toBeLessThan(STALL_BOUND_MS);
    expect(done).toBeGreaterThanOrEqual(await released);
    // Serial order kept: the first write queued is the first stored.
    const [a, b] = (result as PromiseFulfilledResult<Awaited<typeof first>[]>).value;
    const stored = repo.db.prepare("SELECT id FROM resources WHERE type = 'Patient' ORDER BY pk").pluck().all();
    expect(stored).toEqual([a.id, b.id]);
    expect((await find(repo, 'Patient', 'family=first')).map((p) => p.id)).toEqual([a.id]);
    expect((await find(repo, 'Patient', 'family=second')).map((p) => p.id)).toEqual([b.id]);
  });

  it('refuses a write with 503 + Retry-After after the bounded wait, writes nothing, and recovers', async () => {
    open(300);
    await find(repo, 'Patient', 'family=none');
    const { released } = await holdLock(file, 1_500);
    const started = performance.now();
    const { result, stallMs } = await longestStall(
      repo.transaction(async (tx) => {
        await tx.create({ resourceType: 'Patient', name: [{ family: 'Refused' }] });
      }),
    );
    expect(result.status).toBe('rejected');
    const err = (result as PromiseRejectedResult).reason;
    expect(err).toBeInstanceOf(OperationOutcomeError);
    expect(err.status).toBe(503);
    expect(err.headers['retry-after']).toBe('1');
    expect(err.outcome.issue[0].code).toBe('transient');
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(stallMs).toBeLessThan(STALL_BOUND_MS);
    const plain = await repo.create({ resourceType: 'Patient', name: [{ family: 'Later' }] }).catch((e) => e);
    expect((plain as OperationOutcomeError).status).toBe(503);
    expect(repo.db.inTransaction).toBe(false);
    await released;
    expect(await find(repo, 'Patient', 'family=refused')).toHaveLength(0);
    expect(await find(repo, 'Patient', 'family=later')).toHaveLength(0);
    const after = await repo.create({ resourceType: 'Patient', name: [{ family: 'After' }] });
    expect((await repo.read('Patient', after.id!)).name).toEqual([{ family: 'After' }]);
    // The connection's own busy_timeout (for reads) is what it was.
    expect(repo.db.pragma('busy_timeout', { simple: true })).toBe(10_000);
  });
  it('gets its turn against a writer committing back to back (the audit projection under load), the loop free', async () => {
    open(10_000);
    const writer = await busySqliteWriter(file, 100);
    try {
      const waits: number[] = [];
      const writes = (async () => {
        for (let i = 0; i < 5; i++) {
          const started = performance.now();
          await repo.create({ resourceType: 'Patient', name: [{ family: `Turn${i}` }] });
          waits.push(performance.now() - started);
        }
      })();
      const { result, stallMs } = await longestStall(writes);
      expect(result.status).toBe('fulfilled');
      // SQLite's busy handler sleeps in 100-ms steps and mostly wakes while the other writer holds the
      // lock again: waits of a second and more, all of it with this thread asleep.
      expect(stallMs).toBeLessThan(STALL_BOUND_MS);
      expect(Math.max(...waits)).toBeLessThan(2_000);
    } finally {
      await writer.stop();
    }
    expect(await find(repo, 'Patient', 'family=turn')).toHaveLength(5);
  });
});
