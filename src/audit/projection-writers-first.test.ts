import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_BASE, testRegistry } from '../fhir/repository/test-support.js';
import { SqliteFhirRepository } from '../fhir/sqlite/sqlite-repository.js';
import { WriteWaiters } from '../fhir/sqlite/write-waiters.js';
import { listReadAccess } from './balp/test-support.js';
import { openAuditLog, recordAccess, type AccessRecord } from './index.js';
import { auditEventDefinitions, AUDIT_DB_FILE } from './open.js';
import { ProjectionThread } from './projection-thread.js';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined };
const BACKLOG = 300;
const PATIENTS = Array.from({ length: 100 }, (_, i) => `p-${i}`);
/** The projection's slices end at 500 entities (ProjectionOptions.sliceEntities): five of these records (102 each). */
const RECORDS_PER_SLICE = 5;
const WAITED_WRITES = 5;

/** The real counter, which also tells the test when a write found the lock taken. */
class WatchedWaiters extends WriteWaiters {
  onEnter: (() => void) | undefined;
  override enter(): () => void {
    this.onEnter?.();
    return super.enter();
  }
}

/** A worklist read of 100 patients: one AuditEvent with 100 patient entities (the costliest copy). */
const listRead = (n: number): AccessRecord => listReadAccess(`req-${n}`, PATIENTS);

/**
 * The projection thread catching up a long backlog commits slice after slice, a few microseconds
 * apart; the server connection's WriteLock retries on timers and, on its own, almost never lands
 * in that gap (before session 14 its writes starved until the backlog was copied, or got 503).
 * Its waiting writes are now counted in shared memory and the thread lets them go first.
 */
describe("the server's FHIR writes during the audit projection's catch-up", () => {
  let root: string;
  let server: SqliteFhirRepository;
  const waiters = new WatchedWaiters();
  const copies = () =>
    server.db
      .prepare("SELECT count(*) FROM resources WHERE type = 'AuditEvent' AND deleted = 0")
      .pluck()
      .get() as number;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ib-proj-writers-'));
    server = new SqliteFhirRepository(join(root, 'fhir.sqlite'), {
      registry: testRegistry(),
      baseUrl: TEST_BASE,
      writeLockWaitMs: 60_000,
      writeWaiters: waiters,
    });
  });
  afterEach(() => {
    server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('lets each waiting write of the server in after at most two small slices, not after the backlog', async () => {
    const dataDir = join(root, 'data');
    const plain = openAuditLog({ dataDir, logger: silent }); // the chain only: the backlog
    await Promise.all(Array.from({ length: BACKLOG }, (_, n) => recordAccess(plain.sink, listRead(n))));
    await plain.close();

    const thread = new ProjectionThread(
      {
        auditFile: join(dataDir, AUDIT_DB_FILE),
        fhirFile: server.db.name,
        baseUrl: TEST_BASE,
        definitions: auditEventDefinitions(),
        writeWaiters: waiters.buffer,
      },
      () => undefined,
      silent,
      { behind: true },
    );
    try {
      // The catch-up is under way: its slices hold the write lock one after another.
      await expect.poll(copies, { timeout: 30_000, interval: 2 }).toBeGreaterThan(0);
      /** For each write that found the lock taken: the copies the thread committed until it got the lock. */
      const copiedWhileWaiting: number[] = [];
      while (copiedWhileWaiting.length < WAITED_WRITES && copies() < BACKLOG) {
        let atFirstRefusal: number | undefined;
        waiters.onEnter = () => (atFirstRefusal = copies());
        const atCommit = await server.transaction(
          async (tx) => {
            await tx.create({ resourceType: 'Patient', name: [{ family: 'Arrival' }] });
            return copies(); // under the write lock: exactly what the thread has committed
          },
          { durable: false },
        );
        if (atFirstRefusal !== undefined) copiedWhileWaiting.push(atCommit - atFirstRefusal);
      }
      expect(waiters.waiting).toBe(0);
      // Before, a write waited for slice after slice (40 records each) and often for the whole backlog.
      expect(copiedWhileWaiting).toHaveLength(WAITED_WRITES);
      // At most the slice holding the lock and one more that began as the write started waiting.
      expect(Math.max(...copiedWhileWaiting)).toBeLessThanOrEqual(2 * RECORDS_PER_SLICE);
      expect(await thread.caughtUp).toBe(BACKLOG);
      expect(copies()).toBe(BACKLOG);
    } finally {
      await thread.close();
    }
  }, 120_000);
});
