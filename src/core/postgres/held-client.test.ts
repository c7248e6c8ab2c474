/**
 * A held (checked-out) client whose backend is terminated — what a PostgreSQL restart does to
 * every connection — must not end the process: pg emits 'error' on the client outside any query,
 * and pg-pool listens only on idle clients. The transaction fails with the error, the dead
 * connection is discarded, and the pool serves new work.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOut, inTransaction } from './held-client.js';
import { openPool } from './pool.js';
import { suitePostgres } from './suite-postgres.js';

const server = suitePostgres();
const { skip } = server;
const url = () => server.url();

/** Errors that reached no handler while a test ran (an 'error' event without listener is one). */
const uncaught: unknown[] = [];
const record = (e: unknown) => uncaught.push(e);
beforeEach(() => {
  uncaught.length = 0;
  process.on('uncaughtException', record);
});
afterEach(() => {
  process.off('uncaughtException', record);
});

async function terminate(pid: number): Promise<void> {
  const admin = openPool(await url(), { max: 1 });
  try {
    await admin.query('SELECT pg_terminate_backend($1)', [pid]);
  } finally {
    await admin.end();
  }
}

const ended = (client: { once(e: 'end', f: () => void): unknown }) => new Promise<void>((r) => client.once('end', r));

describe.skipIf(skip !== undefined)(server.title('held PostgreSQL clients'), () => {
  it('a transaction whose connection is terminated between statements fails; the process and the pool go on', async () => {
    const pool = openPool(await url(), { max: 1 });
    try {
      const failed = await inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const gone = ended(client);
        await terminate(rows[0].pid);
        await gone; // 'error' (57P01, then the closed socket) was emitted while held
        await client.query('SELECT 1');
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(failed).toBeInstanceOf(Error);
      expect(uncaught).toEqual([]);
      // max 1: the dead connection was discarded, else this would get it back.
      expect((await inTransaction(pool, (c) => c.query<{ n: number }>('SELECT 1 AS n'))).rows[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('a transaction whose connection is terminated mid-statement fails with 57P01; the process and the pool go on', async () => {
    const pool = openPool(await url(), { max: 1 });
    try {
      const failed = await inTransaction(pool, async (client) => {
        const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        const sleeping = client.query('SELECT pg_sleep(30)');
        const gone = ended(client);
        await terminate(rows[0].pid);
        await sleeping.finally(() => gone);
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((failed as { code?: string }).code).toBe('57P01');
      expect(uncaught).toEqual([]);
      expect((await pool.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('a client held outside a transaction hands the connection error to the pool, which discards it', async () => {
    const pool = openPool(await url(), { max: 1 });
    try {
      const held = await checkOut(pool);
      const { rows } = await held.client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const gone = ended(held.client);
      await terminate(rows[0].pid);
      await gone;
      held.release();
      expect(uncaught).toEqual([]);
      const { rows: again } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      expect(again[0].pid).not.toBe(rows[0].pid);
    } finally {
      await pool.end();
    }
  });
});
