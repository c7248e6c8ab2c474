import { describe, expect, it } from 'vitest';
import { kill, startChild, tempSchema } from './coordination-test-support.js';
import { openPool } from './pool.js';
import { suitePostgres } from './suite-postgres.js';
import { WorkQueue } from './work-queue.js';

const server = suitePostgres();
const { skip } = server;
const url = () => server.url();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(skip !== undefined)(server.title('PostgreSQL work queue'), () => {
  it('gives each job to one of two instances claiming at the same time', async () => {
    const schema = tempSchema('wq');
    const [poolA, poolB] = [openPool(await url(), { max: 3 }), openPool(await url(), { max: 3 })];
    try {
      const a = await WorkQueue.open<{ n: number }>(poolA, { queue: 'q', schema });
      const b = await WorkQueue.open<{ n: number }>(poolB, { queue: 'q', schema });
      for (let n = 0; n < 60; n++) await a.enqueue({ n });
      const done: [string, number][] = [];
      const work = async (name: string, q: WorkQueue<{ n: number }>) => {
        for (;;) {
          const jobs = await q.claim(name, 3);
          if (!jobs.length) return;
          for (const job of jobs) {
            done.push([name, job.payload.n]);
            expect(await q.complete(job)).toBe(true);
          }
        }
      };
      await Promise.all([work('a', a), work('b', b), work('a', a), work('b', b)]);
      expect(done.map(([, n]) => n).sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, n) => n));
      expect(new Set(done.map(([who]) => who))).toEqual(new Set(['a', 'b']));
      expect(await a.counts()).toEqual({ ready: 0, claimed: 0, waiting: 0, dead: 0 });
    } finally {
      await Promise.all([poolA.end(), poolB.end()]);
    }
  });

  it('retries a failed job after its backoff and sets it aside after maxAttempts; a key is enqueued once', async () => {
    const schema = tempSchema('wq');
    const pool = openPool(await url(), { max: 2 });
    try {
      const q = await WorkQueue.open<string>(pool, { queue: 'q', schema, maxAttempts: 2, backoffMs: () => 300 });
      expect(await q.enqueue('x', { key: 'study-1' })).toBeTypeOf('number');
      expect(await q.enqueue('x again', { key: 'study-1' })).toBeUndefined();
      const [first] = await q.claim('w');
      expect(first).toMatchObject({ payload: 'x', attempts: 1 });
      expect(await q.fail(first!, new Error('peer down'))).toBe('retry');
      expect(await q.claim('w')).toEqual([]); // backing off
      expect(await q.counts()).toMatchObject({ waiting: 1 });
      await sleep(400);
      const [second] = await q.claim('w');
      expect(second).toMatchObject({ id: first!.id, attempts: 2 });
      expect(await q.fail(second!, new Error('still down'))).toBe('dead');
      await sleep(400);
      expect(await q.claim('w')).toEqual([]);
      expect(await q.counts()).toEqual({ ready: 0, claimed: 0, waiting: 0, dead: 1 });
      // The key is free again once its job is dead.
      expect(await q.enqueue('x', { key: 'study-1' })).toBeTypeOf('number');
    } finally {
      await pool.end();
    }
  });

  it('hands a dead worker’s job to another after the visibility timeout, and refuses the stale claim', async () => {
    const schema = tempSchema('wq');
    const [poolA, poolB] = [openPool(await url(), { max: 2 }), openPool(await url(), { max: 2 })];
    try {
      const a = await WorkQueue.open<string>(poolA, { queue: 'q', schema, visibilityMs: 800 });
      const b = await WorkQueue.open<string>(poolB, { queue: 'q', schema, visibilityMs: 800 });
      await a.enqueue('job');
      const [stale] = await a.claim('a');
      expect(await b.claim('b')).toEqual([]); // invisible while claimed
      await sleep(900);
      const [taken] = await b.claim('b');
      expect(taken).toMatchObject({ id: stale!.id, attempts: 2 });
      expect(await a.complete(stale!)).toBe(false);
      expect(await a.fail(stale!, 'late')).toBe('stale');
      expect(await b.complete(taken!)).toBe(true);
    } finally {
      await Promise.all([poolA.end(), poolB.end()]);
    }
  });

  it('gives the job of a killed worker process to another within the visibility timeout', async () => {
    const schema = tempSchema('wq');
    const pool = openPool(await url(), { max: 2 });
    try {
      const q = await WorkQueue.open<string>(pool, { queue: 'ingest', schema, visibilityMs: 1500 });
      const id = await q.enqueue('study 1.2.3');
      const { child, line } = await startChild(['claim', await url(), schema, 'ingest', '1500'], /^claimed /);
      expect(line).toBe(`claimed ${id}`);
      await kill(child);
      expect(await q.claim('survivor')).toEqual([]);
      await sleep(1600);
      const [job] = await q.claim('survivor');
      expect(job).toMatchObject({ id, payload: 'study 1.2.3', attempts: 2 });
      expect(await q.complete(job!)).toBe(true);
    } finally {
      await pool.end();
    }
  });
});
