import { describe, expect, it } from 'vitest';
import { kill, startChild, tempSchema } from './coordination-test-support.js';
import { Lease } from './lease.js';
import { openPool } from './pool.js';
import { suitePostgres } from './suite-postgres.js';

const server = suitePostgres();
const { skip } = server;
const url = () => server.url();
const waitUntil = async (what: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.skipIf(skip !== undefined)(server.title('PostgreSQL lease'), () => {
  it('has one holder at a time among two instances, and hands over at once on release', async () => {
    const schema = tempSchema('lease');
    const [poolA, poolB] = [openPool(await url(), { max: 2 }), openPool(await url(), { max: 2 })];
    try {
      const a = await Lease.open(poolA, { name: 'job', schema, ttlMs: 3000 });
      const b = await Lease.open(poolB, { name: 'job', schema, ttlMs: 3000 });
      const events: string[] = [];
      a.start({ acquired: (t) => events.push(`a ${t}`), lost: () => events.push('a lost') });
      await waitUntil(() => a.held, 5000);
      b.start({ acquired: (t) => events.push(`b ${t}`) });
      // Several renewal rounds: A keeps it, B never gets it.
      for (let i = 0; i < 6; i++) {
        await new Promise((r) => setTimeout(r, 500));
        expect([a.held, b.held]).toEqual([true, false]);
      }
      expect(await b.tryAcquire()).toBe(false);
      await a.release();
      expect(a.held).toBe(false);
      await waitUntil(() => b.held, 2500); // at B's next try, not after the ttl
      expect(events).toEqual(['a 1', 'a lost', 'b 2']);
      await b.release();
    } finally {
      await Promise.all([poolA.end(), poolB.end()]);
    }
  });

  it('is taken over within seconds when its holder stops renewing (its database connection gone)', async () => {
    const schema = tempSchema('lease');
    const [poolA, poolB] = [openPool(await url(), { max: 2 }), openPool(await url(), { max: 2 })];
    try {
      const a = await Lease.open(poolA, { name: 'job', schema, ttlMs: 1500 });
      const b = await Lease.open(poolB, { name: 'job', schema, ttlMs: 1500 });
      let lost = 0;
      a.start({ lost: () => (lost += 1) });
      await waitUntil(() => a.held, 5000);
      b.start();
      a.stop();
      await poolA.end(); // A can no longer renew
      const cut = Date.now();
      await waitUntil(() => lost === 1, 2000); // A stops counting on it once its ttl ran out
      await waitUntil(() => b.held, 4000);
      expect(Date.now() - cut).toBeLessThan(3000);
      expect(b.token).toBe(2);
      await b.release();
    } finally {
      await poolB.end();
      await poolA.end().catch(() => undefined);
    }
  });

  it('is taken over by another process when the holding process is killed', async () => {
    const schema = tempSchema('lease');
    const pool = openPool(await url(), { max: 2 });
    const { child, line } = await startChild(['lease', await url(), schema, 'projection', '1500'], /^held \d+/);
    try {
      expect(line).toBe('held 1');
      const mine = await Lease.open(pool, { name: 'projection', schema, ttlMs: 1500 });
      mine.start();
      await new Promise((r) => setTimeout(r, 1000));
      expect(mine.held).toBe(false); // the child renews it
      await kill(child);
      const killed = Date.now();
      await waitUntil(() => mine.held, 5000);
      expect(Date.now() - killed).toBeLessThan(3000);
      expect(mine.token).toBe(2);
      await mine.release();
    } finally {
      await kill(child);
      await pool.end();
    }
  });
});
