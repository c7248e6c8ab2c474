/**
 * Pings over LISTEN/NOTIFY on a throwaway cluster: published by one instance, received once by
 * every listening instance (the publisher too); an instance whose listening connection is cut
 * (pg_terminate_backend) listens again and receives later pings.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openPool } from '../../core/postgres/pool.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import type { PingAbout } from '../ping-fanout.js';
import { PgPingFanout } from './ping-fanout.js';

const server = suitePostgres();
const { skip } = server;
const silent = { warn: () => undefined };

async function until(ok: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(skip !== undefined)(server.title('websocket pings over LISTEN/NOTIFY'), () => {
  it('reaches every instance once, and an instance again after its listening connection was cut', async () => {
    const url = await server.url();
    const channel = `ping_${randomBytes(6).toString('hex')}`;
    const pools = [openPool(url, { max: 2 }), openPool(url, { max: 2 })];
    const [a, b] = pools.map((p) => new PgPingFanout(p, silent, channel)) as [PgPingFanout, PgPingFanout];
    const got = { a: [] as [string, PingAbout][], b: [] as [string, PingAbout][] };
    try {
      await a.start((id, about) => got.a.push([id, about]));
      await b.start((id, about) => got.b.push([id, about]));
      const about = { resource: 'Patient/p1', patientIds: ['p1'] };
      await b.publish('s1', about);
      await until(() => got.a.length === 1 && got.b.length === 1);
      expect(got).toEqual({ a: [['s1', about]], b: [['s1', about]] });

      // Cut a's listening connection: it listens again (backoff from 250 ms) and hears later pings.
      const admin = openPool(url, { max: 1 });
      try {
        const { rowCount } = await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1 AND pid <> pg_backend_pid()
            ORDER BY backend_start LIMIT 1`,
          [`LISTEN ${channel}`],
        );
        expect(rowCount).toBe(1);
      } finally {
        await admin.end();
      }
      let n = 0;
      await until(async () => {
        await b.publish('s2', { resource: `Patient/${++n}` });
        await new Promise((r) => setTimeout(r, 100));
        return got.a.some(([id]) => id === 's2');
      });
      expect(got.b.filter(([id]) => id === 's2')).toHaveLength(n);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all(pools.map((p) => p.end()));
    }
  }, 30_000);
});
