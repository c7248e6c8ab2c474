import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { PgIndex } from '../../archive/postgres/pg-index.js';
import { SchemaTooNewError } from '../../core/postgres/migrations.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { claimRenewalSuite } from '../sync/claim-renewal-suite.js';
import type { OpenBridgeStores } from '../bridge-stores-harness.js';
import { quarantineSuite } from '../quarantine/quarantine-suite.js';
import { outboxSuite } from '../sync/outbox-suite.js';
import type { StudyResult } from '../sync/study-sync.js';
import { SyncWorker, type BatchSync, type SyncEvent } from '../sync/sync-worker.js';
import { studyReaderSuite } from '../sync/study-reader-suite.js';
import { writeJournalSuite } from '../sync/write-journal-suite.js';
import { openPgBridgeStores } from './index.js';
import { archiveMigrations } from '../../archive/postgres/schema.js';

const server = suitePostgres();
const { skip } = server;

/** The index and the bridge stores on one pool and a schema of the test's own, dropped at close. */
const open: OpenBridgeStores = async () => {
  const index = await PgIndex.open(await server.url(), `t_${randomBytes(6).toString('hex')}`);
  const stores = await openPgBridgeStores(index.pool, index.schema);
  return {
    index,
    outbox: stores.outbox,
    quarantine: stores.quarantine,
    reader: stores.reader,
    journal: (options) => stores.journal({ relaxed: true, ...options }),
    claiming: async (claimMs) => (await openPgBridgeStores(index.pool, index.schema, { outbox: { claimMs } })).outbox,
    close: async () => {
      await stores.close();
      await index.dropSchema();
      await index.close();
    },
  };
};

outboxSuite('PostgreSQL', open, { skip });
quarantineSuite('PostgreSQL', open, { skip });
writeJournalSuite('PostgreSQL', open, { skip });
studyReaderSuite('PostgreSQL', open, { skip, readsTogether: true });
claimRenewalSuite('PostgreSQL', open, { skip });

describe.skipIf(skip !== undefined)(server.title('PostgreSQL bridge stores'), () => {
  it('share the archive schema’s migrations with the index and refuse a newer schema', async () => {
    const stores = await open();
    try {
      const index = stores.index as PgIndex;
      const { rows } = await index.pool.query(`SELECT max(version) AS v FROM ${index.schema}.schema_migrations`);
      expect(rows[0].v).toBe(Math.max(...archiveMigrations(index.schema).map((m) => m.version)));
      await index.pool.query(`INSERT INTO ${index.schema}.schema_migrations(version, description) VALUES (99, 'x')`);
      await expect(openPgBridgeStores(index.pool, index.schema)).rejects.toBeInstanceOf(SchemaTooNewError);
    } finally {
      await stores.close();
    }
  });

  it('commit a journal’s writes in one transaction: a failure rolls back the batch, then each write is tried alone', async () => {
    const stores = await open();
    try {
      const A = '1.2.826.0.1.3680043.10.1089.22.11.1';
      const index = stores.index as PgIndex;
      const inside: (string | undefined)[] = [];
      const outside: string[] = [];
      const journal = stores.journal({ onError: () => undefined });
      journal.add(() => stores.outbox.record({ studyUid: A, outcome: 'written', syncedAt: 1 }));
      journal.add(async () => {
        inside.push((await stores.outbox.lastSync(A))?.outcome);
        // Another connection (the pool, bypassing the journal's transaction) sees only what is committed.
        const { rows } = await index.pool.query(`SELECT outcome FROM ${index.schema}.sync_state WHERE study_uid = $1`, [
          A,
        ]);
        outside.push(rows[0]?.outcome ?? 'none');
        throw new Error('fails');
      });
      await journal.flush();
      // Batch: the first write seen inside its transaction, not outside (then rolled back);
      // alone: the first committed on its own before the second runs.
      expect(inside).toEqual(['written', 'written']);
      expect(outside).toEqual(['none', 'written']);
      expect(await stores.outbox.lastSync(A)).toMatchObject({ outcome: 'written' });
    } finally {
      await stores.close();
    }
  });
  it('let instances claim due rows: each row goes to one, and a dead instance’s claim runs out', async () => {
    const stores = await open();
    try {
      const index = stores.index as PgIndex;
      const [one, two] = await Promise.all(
        [1, 2].map(
          async () => (await openPgBridgeStores(index.pool, index.schema, { outbox: { claimMs: 1000 } })).outbox,
        ),
      );
      const uids = Array.from({ length: 10 }, (_, n) => `1.2.826.0.1.3680043.10.1089.22.12.${n}`);
      for (const uid of uids) await stores.outbox.enqueue(uid, 'stored', 100);
      const q = { debounceMs: 0, maxDelayMs: 0, limit: 6 };
      const [a, b] = await Promise.all([one!.due({ ...q, now: 200 }), two!.due({ ...q, now: 200 })]);
      const got = [...a, ...b].map((r) => r.studyUid);
      expect(got.sort()).toEqual([...uids].sort());
      expect(a.length + b.length).toBe(10);
      expect(a[0]).toMatchObject({ nextAttemptAt: 0, attempts: 0 });
      expect(await one!.due({ ...q, now: 1199 })).toEqual([]);
      // `one` completes its rows; `two` dies: its rows are due again once the claim ran out.
      for (const r of a) await one!.complete(r.studyUid, r.seq, 300);
      const retaken = await one!.due({ ...q, limit: 20, now: 1200 });
      expect(retaken.map((r) => r.studyUid).sort()).toEqual(b.map((r) => r.studyUid).sort());
    } finally {
      await stores.close();
    }
  });

  it('let a worker claim only the studies it syncs now: while one instance holds a study, the other syncs the rest', async () => {
    const stores = await open();
    const workers: SyncWorker[] = [];
    let release = (): void => undefined;
    try {
      const index = stores.index as PgIndex;
      const claiming = async () =>
        (await openPgBridgeStores(index.pool, index.schema, { outbox: { claimMs: 600_000 } })).outbox;
      const [one, two] = [await claiming(), await claiming()];
      const uids = Array.from({ length: 3 }, (_, n) => `1.2.826.0.1.3680043.10.1089.22.13.${n}`);
      for (const [n, uid] of uids.entries()) await stores.outbox.enqueue(uid, 'stored', 100 + n);
      const timings = {
        debounceMs: 0,
        maxDelayMs: 0,
        minIntervalMs: 0,
        pollMs: 10,
        concurrency: 1,
        batchSize: 1,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
      };
      const silent = pino({ level: 'silent' });
      const ok = (uids: string[]): StudyResult[] =>
        uids.map((studyUid) => ({ studyUid, outcome: { kind: 'written', id: studyUid, instances: 1 } }));
      // Instance one takes the oldest study and holds it (its FHIR write hangs).
      const held = new Promise<string[]>((started) => {
        const hanging: BatchSync = (batch) => {
          started(batch);
          return new Promise((done) => {
            release = () => done(ok(batch));
          });
        };
        workers.push(new SyncWorker(one!, hanging, timings, silent));
      });
      workers[0]!.start();
      expect(await held).toEqual([uids[0]]);
      // Instance two syncs the other two at once, not after the claim time (10 min).
      workers.push(new SyncWorker(two!, async (batch) => ok(batch), timings, silent));
      const synced = new Promise<string[]>((resolve) => {
        const seen: string[] = [];
        workers[1]!.onSync((e: SyncEvent) => {
          seen.push(e.studyUid);
          if (seen.length === 2) resolve(seen);
        });
      });
      workers[1]!.start();
      expect((await synced).sort()).toEqual(uids.slice(1).sort());
      release();
      await workers[0]!.stop();
      expect(await stores.outbox.pending()).toEqual([]);
    } finally {
      release();
      await Promise.all(workers.map((w) => w.stop()));
      await stores.close();
    }
  });

  it('let a sync asked for now (release, reject) go through the claim: two instances asked at once sync the study once', async () => {
    const stores = await open();
    const workers: SyncWorker[] = [];
    const release: (() => void)[] = [];
    try {
      const index = stores.index as PgIndex;
      const claiming = async () =>
        (await openPgBridgeStores(index.pool, index.schema, { outbox: { claimMs: 600_000 } })).outbox;
      const [one, two] = [await claiming(), await claiming()];
      const [a, b] = ['1.2.826.0.1.3680043.10.1089.22.14.1', '1.2.826.0.1.3680043.10.1089.22.14.2'];
      await stores.outbox.enqueue(a, 'released', 100);
      const timings = {
        debounceMs: 60_000,
        maxDelayMs: 60_000,
        minIntervalMs: 0,
        pollMs: 10,
        concurrency: 1,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
      };
      const silent = pino({ level: 'silent' });
      const synced: string[] = [];
      // The first sync's FHIR write hangs until released, so the other instance is asked while it is in flight.
      const hanging: BatchSync = (batch) => {
        synced.push(...batch);
        const results = batch.map(
          (studyUid): StudyResult => ({
            studyUid,
            outcome: { kind: 'written', id: studyUid, instances: 1 },
          }),
        );
        if (release.length > 0) return Promise.resolve(results);
        return new Promise((done) => release.push(() => done(results)));
      };
      workers.push(new SyncWorker(one!, hanging, timings, silent), new SyncWorker(two!, hanging, timings, silent));
      const first = workers[0]!.syncNow(a);
      await expect.poll(() => synced).toEqual([a]);
      // The other instance, asked for the same study meanwhile, leaves it to the one syncing it.
      await workers[1]!.syncNow(a);
      expect(synced).toEqual([a]);
      for (const r of release) r();
      await first;
      expect(await stores.outbox.get(a)).toBeUndefined();
      // A study an instance's pass holds (due() claimed it) is not synced beside it either.
      await stores.outbox.enqueue(b, 'released', 100);
      const due = await one!.due({ now: Date.now(), debounceMs: 0, maxDelayMs: 0, limit: 5 });
      expect(due.map((r) => r.studyUid)).toEqual([b]);
      await workers[1]!.syncNow(b);
      expect(synced).toEqual([a]);
    } finally {
      for (const r of release) r();
      await Promise.all(workers.map((w) => w.stop()));
      await stores.close();
    }
  });
});
