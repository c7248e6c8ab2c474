import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../archive/sqlite/schema.js';
import { FhirNetworkError, FhirServerError } from '../../fhir/client/index.js';
import { Outbox } from './outbox.js';
import type { StudyResult, SyncOutcome } from './study-sync.js';
import { SyncWorker, type BatchSync, type SyncEvent, type SyncTimings } from './sync-worker.js';
import { WriteJournal } from './write-journal.js';

function openOutbox(): Outbox {
  const db = new Database(':memory:');
  db.exec(SCHEMA);
  return new Outbox(db);
}

const TIMINGS: SyncTimings = {
  debounceMs: 0,
  maxDelayMs: 0,
  minIntervalMs: 0,
  pollMs: 10,
  concurrency: 2,
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 5,
};
const silent = pino({ level: 'silent' });
const written: SyncOutcome = { kind: 'written', id: 'x', instances: 1 };

/** A batch sync from a per-study one (each study on its own, one after the other). */
function perStudy(sync: (studyUid: string) => Promise<SyncOutcome>): BatchSync {
  return async (uids) => {
    const out: StudyResult[] = [];
    for (const studyUid of uids) {
      try {
        out.push({ studyUid, outcome: await sync(studyUid) });
      } catch (error) {
        out.push({ studyUid, error });
      }
    }
    return out;
  };
}

function events(worker: SyncWorker, count: number): Promise<SyncEvent[]> {
  const seen: SyncEvent[] = [];
  return new Promise((resolve) => {
    const off = worker.onSync((e) => {
      seen.push(e);
      if (seen.length >= count) {
        off();
        resolve(seen);
      }
    });
  });
}

describe('Outbox', () => {
  it('coalesces many changes of a study into one row and keeps it when a change comes in during a sync', () => {
    const outbox = openOutbox();
    for (let i = 0; i < 5; i++) outbox.enqueue('1.2.3', 'stored', 1000 + i);
    const [row] = outbox.due({ now: 2000, debounceMs: 100, maxDelayMs: 10_000, limit: 10 });
    expect(row).toMatchObject({ studyUid: '1.2.3', seq: 5, firstChangedAt: 1000, changedAt: 1004 });
    outbox.enqueue('1.2.3', 'stored', 2001);
    outbox.complete('1.2.3', row!.seq, 2002);
    expect(outbox.get('1.2.3')?.seq).toBe(6);
    outbox.complete('1.2.3', 6, 2003);
    expect(outbox.get('1.2.3')).toBeUndefined();
  });

  it('waits for the debounce after the last change, but not longer than maxDelay after the first', () => {
    const outbox = openOutbox();
    outbox.enqueue('1.2.3', 'stored', 1000);
    outbox.enqueue('1.2.3', 'stored', 1900);
    const q = { debounceMs: 300, maxDelayMs: 1500, limit: 10 };
    expect(outbox.due({ ...q, now: 2000 })).toHaveLength(0);
    expect(outbox.due({ ...q, now: 2200 })).toHaveLength(1);
    outbox.enqueue('1.2.3', 'stored', 2450);
    expect(outbox.due({ ...q, now: 2500 })).toHaveLength(1);
  });

  it('parks a permanent failure as a dead letter with its reason, and replays it on demand; a new change also revives it', () => {
    const outbox = openOutbox();
    outbox.enqueue('1.2.3', 'stored', 1000);
    outbox.park('1.2.3', 1, 'create ImagingStudy: HTTP 400 (invalid)');
    expect(outbox.dead()).toMatchObject([
      { studyUid: '1.2.3', lastError: 'create ImagingStudy: HTTP 400 (invalid)', dead: true },
    ]);
    expect(outbox.due({ now: 99_999, debounceMs: 0, maxDelayMs: 0, limit: 10 })).toHaveLength(0);
    expect(outbox.replay('1.2.3', 5000)).toBe(1);
    expect(outbox.counts()).toEqual({ pending: 1, retrying: 0, dead: 0 });
    outbox.park('1.2.3', 1, 'again');
    outbox.enqueue('1.2.3', 'stored', 6000);
    expect(outbox.counts()).toEqual({ pending: 1, retrying: 0, dead: 0 });
  });
});

describe('SyncWorker', () => {
  it('retries transient failures (network, 429, 503) until they succeed, and never drops the study', async () => {
    const outbox = openOutbox();
    outbox.enqueue('1.2.3', 'stored');
    const failures = [
      new FhirNetworkError('search Patient', 1, { code: 'ECONNREFUSED' }),
      serverError(429),
      serverError(503),
    ];
    const worker = new SyncWorker(
      outbox,
      perStudy(async () => {
        const next = failures.shift();
        if (next) throw next;
        return written;
      }),
      TIMINGS,
      silent,
    );
    const done = events(worker, 4);
    worker.start();
    const seen = await done;
    await worker.stop();
    expect(seen.map((e) => e.transient ?? 'ok')).toEqual([true, true, true, 'ok']);
    expect(outbox.get('1.2.3')).toBeUndefined();
    expect(outbox.lastSync('1.2.3')).toMatchObject({ outcome: 'written', fhirId: 'x' });
  });

  it('takes a study once it has been quiet for its debounce, not at the next poll', async () => {
    const outbox = openOutbox();
    const timings = { ...TIMINGS, debounceMs: 150, maxDelayMs: 10_000, pollMs: 60_000 };
    const syncedAt: number[] = [];
    const worker = new SyncWorker(
      outbox,
      perStudy(async () => {
        syncedAt.push(Date.now());
        return written;
      }),
      timings,
      silent,
    );
    const changedAt = Date.now();
    outbox.enqueue('1.2.3', 'stored', changedAt);
    const done = events(worker, 1);
    // The first look finds it debouncing; the next poll would be a minute later.
    worker.start();
    await done;
    await worker.stop();
    expect(syncedAt[0]! - changedAt).toBeGreaterThanOrEqual(150);
    expect(syncedAt[0]! - changedAt).toBeLessThan(5000);
  });

  it('parks a permanent failure (400) in the dead-letter list', async () => {
    const outbox = openOutbox();
    outbox.enqueue('1.2.3', 'stored');
    const worker = new SyncWorker(
      outbox,
      perStudy(async () => {
        throw serverError(400);
      }),
      TIMINGS,
      silent,
    );
    const done = events(worker, 1);
    worker.start();
    await done;
    await worker.stop();
    expect(outbox.dead()).toMatchObject([{ studyUid: '1.2.3', attempts: 1 }]);
    expect(outbox.dead()[0]!.lastError).toContain('HTTP 400');
  });

  it('syncs the studies due together in one pass, one pass at a time, at most batchSize per pass, with one archive commit per pass', async () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const outbox = new Outbox(db);
    for (const uid of ['1', '2', '3', '4', '5']) outbox.enqueue(uid, 'stored');
    const commits = countCommits(db);
    const writes = new WriteJournal(db);
    const outside: string[] = [];
    for (const m of ['complete', 'record'] as const) {
      const original = outbox[m].bind(outbox) as (...a: unknown[]) => void;
      (outbox as unknown as Record<string, unknown>)[m] = (...a: unknown[]) => {
        if (!db.inTransaction) outside.push(m);
        original(...a);
      };
    }
    const passes: string[][] = [];
    let running = 0;
    let peak = 0;
    const worker = new SyncWorker(
      outbox,
      async (uids) => {
        passes.push(uids);
        peak = Math.max(peak, ++running);
        // The FHIR write is done before anything of the pass is recorded: the rows are all still there.
        expect(uids.every((u) => outbox.get(u))).toBe(true);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return uids.map((studyUid) => ({ studyUid, outcome: { kind: 'written', id: `IS-${studyUid}`, instances: 2 } }));
      },
      { ...TIMINGS, batchSize: 3 },
      silent,
      { writes },
    );
    const done = events(worker, 5);
    worker.start();
    const seen = await done;
    await worker.stop();
    expect(passes).toEqual([
      ['1', '2', '3'],
      ['4', '5'],
    ]);
    expect(peak).toBe(1);
    expect(seen.every((e) => e.outcome?.kind === 'written')).toBe(true);
    expect(commits()).toBe(2);
    expect(outside).toEqual([]);
    expect(outbox.counts()).toEqual({ pending: 0, retrying: 0, dead: 0 });
    expect(outbox.lastSync('4')).toMatchObject({ outcome: 'written', fhirId: 'IS-4', instances: 2 });
  });

  it('with overlapCommit (PostgreSQL) starts the next pass while the previous one commits, never on a study still committing, and syncs each study once', async () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const outbox = new Outbox(db);
    for (const uid of ['1', '2', '3', '4', '5', '6', '7']) outbox.enqueue(uid, 'stored');
    const journal = new WriteJournal(db);
    const log: string[] = [];
    const committing = new Set<string>();
    let flushes = 0;
    // A commit that waits on its round trips (the first one longest), as PgWriteJournal does.
    const writes = {
      add: (op: () => void) => journal.add(op),
      flush: async () => {
        const n = ++flushes;
        log.push(`commit ${n} start`);
        await new Promise((r) => setTimeout(r, n === 1 ? 300 : 20));
        await journal.flush();
        log.push(`commit ${n} end`);
      },
    };
    const passes: string[][] = [];
    const worker = new SyncWorker(
      outbox,
      async (uids) => {
        passes.push(uids);
        log.push(`pass ${passes.length}`);
        for (const u of uids) expect(committing.has(u)).toBe(false);
        for (const u of uids) committing.add(u);
        return uids.map((studyUid) => ({ studyUid, outcome: { kind: 'written', id: `IS-${studyUid}`, instances: 2 } }));
      },
      { ...TIMINGS, batchSize: 3 },
      silent,
      { writes, overlapCommit: true },
    );
    worker.onSync((e) => committing.delete(e.studyUid));
    const done = events(worker, 7);
    worker.start();
    const seen = await done;
    await worker.stop();
    expect(passes[0]).toEqual(['1', '2', '3']);
    expect(passes.slice(1).flat().sort()).toEqual(['4', '5', '6', '7']);
    // The second pass ran while the first commit waited.
    expect(log.indexOf('pass 2')).toBeLessThan(log.indexOf('commit 1 end'));
    expect(seen.map((e) => e.studyUid).sort()).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(outbox.counts()).toEqual({ pending: 0, retrying: 0, dead: 0 });
    expect(outbox.lastSync('2')).toMatchObject({ outcome: 'written', fhirId: 'IS-2' });
  });

  it('with passes: 2, takes a study due while a pass syncs in a second pass, never one in flight, and each study once', async () => {
    const outbox = openOutbox();
    outbox.enqueue('A', 'stored');
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    const passes: string[][] = [];
    const order: string[] = [];
    const worker = new SyncWorker(
      outbox,
      async (uids) => {
        passes.push(uids);
        order.push(`start ${uids.join(',')}`);
        if (passes.length === 1) {
          // While A syncs: a new change of A (taken only after this pass) and a new study B.
          outbox.enqueue('A', 'stored');
          outbox.enqueue('B', 'stored');
          await firstHeld;
        }
        order.push(`end ${uids.join(',')}`);
        return uids.map((studyUid) => ({ studyUid, outcome: written }));
      },
      { ...TIMINGS, batchSize: 4 },
      silent,
      { passes: 2 },
    );
    const synced: string[] = [];
    worker.onSync((e) => {
      synced.push(e.studyUid);
      if (e.studyUid === 'B') releaseFirst();
    });
    const done = events(worker, 3);
    worker.start();
    await done;
    await worker.stop();
    // B was synced by a second pass while the first still held A; A's new change after that pass.
    expect(passes).toEqual([['A'], ['B'], ['A']]);
    expect(order.indexOf('end B')).toBeLessThan(order.indexOf('end A'));
    expect(synced).toEqual(['B', 'A', 'A']);
    expect(outbox.counts()).toEqual({ pending: 0, retrying: 0, dead: 0 });
  });

  it('settles each study of a pass on its own: one written, one retried, one parked', async () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const outbox = new Outbox(db);
    for (const uid of ['a', 'b', 'c']) outbox.enqueue(uid, 'stored', 1000);
    const writes = new WriteJournal(db);
    const worker = new SyncWorker(
      outbox,
      async (uids) =>
        uids.map(
          (studyUid): StudyResult =>
            studyUid === 'a'
              ? { studyUid, outcome: written }
              : { studyUid, error: serverError(studyUid === 'b' ? 503 : 400) },
        ),
      { ...TIMINGS, retryBaseDelayMs: 60_000, retryMaxDelayMs: 60_000 },
      silent,
      { writes },
    );
    const done = events(worker, 3);
    worker.start();
    await done;
    await worker.stop();
    expect(outbox.get('a')).toBeUndefined();
    expect(outbox.get('b')).toMatchObject({ attempts: 1, dead: false });
    expect(outbox.dead().map((r) => r.studyUid)).toEqual(['c']);
  });

  it('crash safety: what a pass has not committed yet is lost, never its studies — the outbox rows stay and a restarted worker syncs them', async () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const outbox = new Outbox(db);
    for (const uid of ['1', '2']) outbox.enqueue(uid, 'stored');
    // A pass whose FHIR write went through but whose archive commit never happened (the process died).
    const lost = new WriteJournal(db);
    const crashed = new SyncWorker(
      outbox,
      async (uids) => uids.map((studyUid) => ({ studyUid, outcome: written })),
      TIMINGS,
      silent,
      {
        writes: { add: (op) => lost.add(op), flush: () => {} },
      },
    );
    const first = events(crashed, 2);
    crashed.start();
    await first;
    await crashed.stop();
    expect(lost.pending).toBeGreaterThan(0);
    expect(outbox.counts().pending).toBe(2);
    expect(outbox.lastSync('1')).toBeUndefined();
    // After the restart: both studies again (the sync finds the ImagingStudy unchanged).
    const again: string[] = [];
    const restarted = new SyncWorker(
      outbox,
      async (uids) => {
        again.push(...uids);
        return uids.map((studyUid) => ({
          studyUid,
          outcome: { kind: 'unchanged', id: 'x', instances: 1 } as SyncOutcome,
        }));
      },
      TIMINGS,
      silent,
      {
        writes: new WriteJournal(db),
      },
    );
    const second = events(restarted, 2);
    restarted.start();
    await second;
    await restarted.stop();
    expect(again.sort()).toEqual(['1', '2']);
    expect(outbox.counts().pending).toBe(0);
    expect(outbox.lastSync('2')).toMatchObject({ outcome: 'unchanged' });
  });

  it('keeps a row whose study changed during its pass: due again after the pass', async () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const outbox = new Outbox(db);
    outbox.enqueue('1', 'stored');
    let calls = 0;
    const worker = new SyncWorker(
      outbox,
      async (uids) => {
        if (++calls === 1) outbox.enqueue('1', 'stored'); // an instance arrives while the pass runs
        return uids.map((studyUid) => ({ studyUid, outcome: written }));
      },
      TIMINGS,
      silent,
      { writes: new WriteJournal(db) },
    );
    const done = events(worker, 2);
    worker.start();
    await done;
    await worker.stop();
    expect(calls).toBe(2);
    expect(outbox.get('1')).toBeUndefined();
  });
});

describe('WriteJournal', () => {
  it('commits the writes of a pass in one transaction, with synchronous=NORMAL only for that commit when relaxed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const db = new Database(join(dir, 'index.sqlite'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(SCHEMA);
      const outbox = new Outbox(db);
      const commits = countCommits(db);
      const seen: number[] = [];
      const journal = new WriteJournal(db, { relaxed: true });
      for (const uid of ['1', '2', '3'])
        journal.add(() => {
          outbox.enqueue(uid, 'stored');
          seen.push(db.pragma('synchronous', { simple: true }) as number);
        });
      expect(outbox.counts().pending).toBe(0);
      journal.flush();
      expect(commits()).toBe(1);
      expect(seen).toEqual([1, 1, 1]);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      expect(outbox.counts().pending).toBe(3);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('commits with BEGIN IMMEDIATE: a second connection writing while a pass commits (the server ingesting beside the sync thread) waits for it, the commit does not fail', () => {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    const file = join(dir, 'index.sqlite');
    const thread = new Database(file);
    const server = new Database(file);
    try {
      thread.pragma('journal_mode = WAL');
      thread.exec(SCHEMA);
      // The ingest's write is tried once (busy_timeout 0): SQLITE_BUSY means it would have waited.
      server.pragma('busy_timeout = 0');
      const sync = new Outbox(thread);
      const ingest = new Outbox(server);
      ingest.enqueue('A', 'stored', 1);
      const waited: string[] = [];
      const errors: unknown[] = [];
      const journal = new WriteJournal(thread, { relaxed: true, onError: (e) => errors.push(e) });
      journal.add(() => {
        // The pass reads first (a snapshot), then the server commits an instance, then the pass writes.
        expect(sync.get('A')?.seq).toBe(1);
        try {
          ingest.enqueue('B', 'stored', 2);
        } catch (e) {
          waited.push((e as { code?: string }).code ?? String(e));
        }
        sync.complete('A', 1, 3);
      });
      journal.flush();
      // Deferred, the pass's write fails with SQLITE_BUSY_SNAPSHOT (here, and again when tried alone).
      expect(errors).toEqual([]);
      expect(waited).toEqual(['SQLITE_BUSY']);
      expect(sync.get('A')).toBeUndefined();
      // The ingest, having waited, commits after the pass.
      ingest.enqueue('B', 'stored', 4);
      expect(sync.get('B')).toBeDefined();
    } finally {
      thread.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('when the commit fails, tries each write on its own so one bad write does not hold back the others', () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const outbox = new Outbox(db);
    const errors: number[] = [];
    const journal = new WriteJournal(db, { onError: (_e, ops) => errors.push(ops) });
    journal.add(() => outbox.enqueue('1', 'stored'));
    journal.add(() => {
      throw new Error('disk full');
    });
    journal.add(() => outbox.enqueue('3', 'stored'));
    journal.flush();
    expect(errors).toEqual([3, 1]);
    expect(
      outbox
        .pending()
        .map((r) => r.studyUid)
        .sort(),
    ).toEqual(['1', '3']);
  });
});

/**
 * Counts the outermost transactions opened on `db` from now on (better-sqlite3 has no commit
 * hook); the tests using it also check that the writes they expect ran inside one.
 */
function countCommits(db: Database.Database): () => number {
  let n = 0;
  const original = db.transaction.bind(db);
  (db as unknown as { transaction: typeof db.transaction }).transaction = ((fn: (...a: unknown[]) => unknown) => {
    const tx = original(fn);
    const counted =
      (run: (...a: unknown[]) => unknown) =>
      (...args: unknown[]) => {
        if (!db.inTransaction) n++;
        return run(...args);
      };
    return Object.assign(counted(tx) as typeof tx, {
      deferred: counted(tx.deferred),
      immediate: counted(tx.immediate),
      exclusive: counted(tx.exclusive),
      default: counted(tx.default),
    });
  }) as typeof db.transaction;
  return () => n;
}

function serverError(status: number): FhirServerError {
  return new FhirServerError(
    status,
    {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: status === 429 ? 'throttled' : 'exception' }],
    },
    'create ImagingStudy',
    1,
  );
}
