import { describe, expect, it } from 'vitest';
import {
  createTickTable,
  kill,
  startChild,
  tempSchema,
  tickingJob,
  tickSpans,
} from './postgres/coordination-test-support.js';
import { openJobLeases } from './postgres/job-leases.js';
import { openPool } from './postgres/pool.js';
import { suitePostgres } from './postgres/suite-postgres.js';

const server = suitePostgres();
const { skip } = server;
const url = () => server.url();
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const waitUntil = async (what: () => boolean | Promise<boolean>, ms: number) => {
  const deadline = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(20);
  }
};

describe('LeasedJob without a database', () => {
  it('runs the job at once and stops it on close (the embedded database has one instance)', async () => {
    const leases = await openJobLeases(undefined, { ttlMs: 1000, renewMs: 300 }, quiet);
    const steps: string[] = [];
    const job = leases.guard('job', { start: () => steps.push('start'), stop: async () => void steps.push('stop') });
    job.start();
    await waitUntil(() => job.active, 1000);
    await leases.close();
    expect(steps).toEqual(['start', 'stop']);
    expect(job.active).toBe(false);
  });
});

describe.skipIf(skip !== undefined)(server.title('LeasedJob on PostgreSQL'), () => {
  it('runs on one of two instances only, and on the other once the first closes', async () => {
    const schema = tempSchema('job');
    const pool = openPool(await url(), { max: 2 });
    await createTickTable(pool, schema);
    const settings = { ttlMs: 1500, renewMs: 500 };
    const a = await openJobLeases(await url(), settings, quiet, { schema });
    const b = await openJobLeases(await url(), settings, quiet, { schema });
    try {
      const jobA = a.guard('poll', tickingJob(pool, schema, 'a'));
      jobA.start();
      await waitUntil(() => jobA.active, 5000);
      const jobB = b.guard('poll', tickingJob(pool, schema, 'b'));
      jobB.start();
      // Several renewal rounds: A keeps it, B never runs.
      for (let i = 0; i < 4; i++) {
        await sleep(500);
        expect([jobA.active, jobB.active]).toEqual([true, false]);
      }
      // Another name is another lease: B may run that one beside A's.
      const other = b.guard('reconcile', { start: () => undefined, stop: async () => undefined });
      other.start();
      await waitUntil(() => other.active, 3000);
      await a.close();
      expect(jobA.active).toBe(false);
      await waitUntil(() => jobB.active, 2000); // at B's next try, not after the ttl
      await sleep(200);
      const spans = await tickSpans(pool, schema);
      expect(spans.map((s) => s.who)).toEqual(['a', 'b']);
      expect(spans[0].last).toBeLessThan(spans[1].first); // never both at once
    } finally {
      await Promise.all([a.close(), b.close()]);
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    }
  });

  it('is started by another process within seconds when the holding process is killed, never both at once', async () => {
    const schema = tempSchema('job');
    const pool = openPool(await url(), { max: 2 });
    await createTickTable(pool, schema);
    const { child } = await startChild(['job', await url(), schema, 'source-poll:pacs', '1500'], /^started/);
    const mine = await openJobLeases(await url(), { ttlMs: 1500, renewMs: 500 }, quiet, { schema });
    try {
      const job = mine.guard('source-poll:pacs', tickingJob(pool, schema, 'parent'));
      job.start();
      await sleep(1500);
      expect(job.active).toBe(false); // the child renews it
      await kill(child);
      const killed = Date.now();
      await waitUntil(() => job.active, 5000);
      expect(Date.now() - killed).toBeLessThan(3000);
      await sleep(200);
      const spans = await tickSpans(pool, schema);
      expect(spans.map((s) => s.who)).toEqual(['child', 'parent']);
      expect(spans[0].last).toBeLessThan(spans[1].first);
    } finally {
      await kill(child);
      await mine.close();
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    }
  });
});
