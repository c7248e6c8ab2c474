import Database from 'better-sqlite3';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SCHEMA } from '../../archive/sqlite/schema.js';
import { FhirNetworkError, FhirServerError } from '../../fhir/client/index.js';
import { Outbox } from './outbox.js';
import type { SyncOutcome } from './study-sync.js';
import { SyncWorker, type SyncEvent, type SyncTimings } from './sync-worker.js';

function openOutbox(): Outbox {
  const db = new Database(':memory:');
  db.exec(SCHEMA);
  return new Outbox(db);
}

const TIMINGS: SyncTimings = { debounceMs: 0, maxDelayMs: 0, minIntervalMs: 0, pollMs: 10, concurrency: 2, retryBaseDelayMs: 1, retryMaxDelayMs: 5 };
const silent = pino({ level: 'silent' });
const written: SyncOutcome = { kind: 'written', id: 'x', instances: 1 };

function events(worker: SyncWorker, count: number): Promise<SyncEvent[]> {
  const seen: SyncEvent[] = [];
  return new Promise((resolve) => {
    const off = worker.onSync((e) => {
      seen.push(e);
      if (seen.length >= count) (off(), resolve(seen));
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
    expect(outbox.dead()).toMatchObject([{ studyUid: '1.2.3', lastError: 'create ImagingStudy: HTTP 400 (invalid)', dead: true }]);
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
    const failures = [new FhirNetworkError('search Patient', 1, { code: 'ECONNREFUSED' }), serverError(429), serverError(503)];
    const worker = new SyncWorker(outbox, async () => {
      const next = failures.shift();
      if (next) throw next;
      return written;
    }, TIMINGS, silent);
    const done = events(worker, 4);
    worker.start();
    const seen = await done;
    await worker.stop();
    expect(seen.map((e) => e.transient ?? 'ok')).toEqual([true, true, true, 'ok']);
    expect(outbox.get('1.2.3')).toBeUndefined();
    expect(outbox.lastSync('1.2.3')).toMatchObject({ outcome: 'written', fhirId: 'x' });
  });

  it('parks a permanent failure (400) in the dead-letter list', async () => {
    const outbox = openOutbox();
    outbox.enqueue('1.2.3', 'stored');
    const worker = new SyncWorker(outbox, async () => {
      throw serverError(400);
    }, TIMINGS, silent);
    const done = events(worker, 1);
    worker.start();
    await done;
    await worker.stop();
    expect(outbox.dead()).toMatchObject([{ studyUid: '1.2.3', attempts: 1 }]);
    expect(outbox.dead()[0]!.lastError).toContain('HTTP 400');
  });

  it('runs at most one sync per study at a time and at most `concurrency` overall', async () => {
    const outbox = openOutbox();
    for (const uid of ['1', '2', '3', '4']) outbox.enqueue(uid, 'stored');
    let running = 0;
    let peak = 0;
    const worker = new SyncWorker(outbox, async () => {
      peak = Math.max(peak, ++running);
      await new Promise((r) => setTimeout(r, 20));
      running--;
      return written;
    }, TIMINGS, silent);
    const done = events(worker, 4);
    worker.start();
    await done;
    await worker.stop();
    expect(peak).toBe(2);
  });
});

function serverError(status: number): FhirServerError {
  return new FhirServerError(status, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: status === 429 ? 'throttled' : 'exception' }] }, 'create ImagingStudy', 1);
}
