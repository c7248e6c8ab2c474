import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArchiveIndex } from '../archive/open-index.js';
import { testDatabase } from '../core/postgres/test-database.js';
import { BRIDGE_POOL_MAX, openBridgeStores } from './open-stores.js';

const db = testDatabase('ib_bridge_pool');
const dataDir = mkdtempSync(join(tmpdir(), 'ib-bridge-pool-'));
beforeAll(() => db.setup());
afterAll(async () => {
  await db.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Resolves with `p`, or rejects when it has not answered within `ms`. */
function within<T>(p: Promise<T> | T, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    Promise.resolve(p),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe.skipIf(db.skip !== undefined)(`bridge stores on PostgreSQL${db.skip ? ` (skipped: ${db.skip})` : ''}`, () => {
  it('sync on a pool of their own: a pass reads and commits while an ingest holds every connection of the index', async () => {
    const index = await openArchiveIndex({ dataDir, database: db.url() });
    if (index.kind !== 'postgres') throw new Error('expected the PostgreSQL index');
    const opened = await openBridgeStores(index, { outboxClaimMs: 60_000, database: db.url() });
    const held: pg.PoolClient[] = [];
    try {
      const { outbox, reader, links } = opened.stores;
      await outbox.enqueue('1.2.3', 'test', 1_000);
      // What 100 concurrent STOW requests do to the index's pool: every connection taken, more waiting.
      const max = index.pool.options.max ?? 10;
      for (let i = 0; i < max; i++) held.push(await index.pool.connect());
      expect(index.pool.totalCount).toBe(max);
      const waiting = index.pool.query('SELECT 1');
      expect(index.pool.waitingCount).toBe(1);

      const due = await within(
        outbox.due({ now: 10_000, debounceMs: 300, maxDelayMs: 1_500, limit: 16 }),
        5_000,
        'outbox.due',
      );
      expect(due.map((r) => r.studyUid)).toEqual(['1.2.3']);
      expect(await within(reader.instances('1.2.3'), 5_000, 'reader.instances')).toEqual([]);
      expect(await within(links.patientRowOf('1.2.3'), 5_000, 'links.patientRowOf')).toBeUndefined();
      const journal = opened.stores.journal({ relaxed: true });
      journal.add(() => outbox.complete('1.2.3', due[0]!.seq, 20_000));
      journal.add(() => links.record('1.2.3', 7, 'Patient/p', 20_000));
      await within(journal.flush(), 5_000, 'journal.flush');
      expect(await within(outbox.get('1.2.3'), 5_000, 'outbox.get')).toBeUndefined();
      // The index's own queue is still where it was: the bridge never took from it.
      expect(index.pool.waitingCount).toBe(1);
      for (const c of held.splice(0)) c.release();
      await waiting;
    } finally {
      for (const c of held) c.release();
      await opened.close();
      await index.index.close();
    }
  });

  it('end the pool of their own at close, and use at most BRIDGE_POOL_MAX connections', async () => {
    const index = await openArchiveIndex({ dataDir, database: db.url() });
    if (index.kind !== 'postgres') throw new Error('expected the PostgreSQL index');
    const opened = await openBridgeStores(index, { outboxClaimMs: 60_000, database: db.url() });
    try {
      const reads = Array.from({ length: 20 }, (_, i) => opened.stores.reader.instances(`9.9.${i}`));
      expect((await Promise.all(reads)).every((r) => r.length === 0)).toBe(true);
      const [{ n }] = (
        await index.pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        )
      ).rows as [{ n: number }];
      // The index's other connections (idle in its pool) plus the sync's, never more than its limit.
      expect(n).toBeLessThanOrEqual(index.pool.totalCount - 1 + BRIDGE_POOL_MAX);
    } finally {
      await opened.close();
      await index.index.close();
    }
    await expect(opened.stores.outbox.counts()).rejects.toThrow(/pool/i);
  });
});
