/**
 * One suite for both rest-hook queues: in process, and the shared PostgreSQL work queue (a
 * throwaway cluster). Each job is settled exactly once, after its retries, by the handler given to
 * start(); a final failure is not retried; with PostgreSQL, two instances share the jobs.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openPool } from '../core/postgres/pool.js';
import { suitePostgres } from '../core/postgres/suite-postgres.js';
import { PgRestHookQueue } from './postgres/rest-hook-queue.js';
import type { DeliveryResult } from './rest-hook.js';
import {
  type AttemptResult,
  InProcessRestHookQueue,
  type RestHookJob,
  type RestHookQueue,
  type RetryPolicy,
} from './rest-hook-queue.js';

const silent = { warn: () => undefined, error: () => undefined };
const server = suitePostgres();
const { skip } = server;
const url = () => server.url();

const job = (key: string): RestHookJob => ({
  subscriptionId: 's1',
  subscriptionVersion: '1',
  key,
  resource: { resourceType: 'Patient', id: key },
  access: { kind: 'notification', event: 'rest-hook', subscriptionId: 's1', resource: `Patient/${key}` },
});

/** A handler whose job `fail-N` fails its first N attempts, `final` fails for good and `never` always fails. */
function scripted() {
  const attempts = new Map<string, number>();
  const settled: [string, DeliveryResult][] = [];
  return {
    attempts,
    settled,
    handler: {
      attempt: async (j: RestHookJob): Promise<AttemptResult> => {
        const n = (attempts.get(j.key) ?? 0) + 1;
        attempts.set(j.key, n);
        if (j.key === 'final') return { ok: false, final: true, error: 'the Subscription is no longer active' };
        if (j.key === 'never') return { ok: false, error: 'HTTP 503' };
        const fails = Number(/^fail-(\d+)/.exec(j.key)?.[1] ?? 0);
        return n <= fails ? { ok: false, error: `HTTP 500 (${n})` } : { ok: true };
      },
      settled: async (j: RestHookJob, r: DeliveryResult) => void settled.push([j.key, r]),
    },
  };
}

async function until(ok: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const policy: RetryPolicy = { retries: 2, retryBaseDelayMs: 20, retryMaxDelayMs: 50 };

type Open = () => Promise<{ queue: RestHookQueue; close: () => Promise<void> }>;

const kinds: [string, Open | undefined][] = [
  [
    'in process',
    async () => {
      const queue = new InProcessRestHookQueue(policy);
      return { queue, close: () => queue.close() };
    },
  ],
  [
    server.title('PostgreSQL work queue'),
    skip
      ? undefined
      : async () => {
          const pool = openPool(await url(), { max: 3 });
          const schema = `wq_${randomBytes(6).toString('hex')}`;
          const queue = await PgRestHookQueue.open(pool, {
            ...policy,
            timeoutMs: 1000,
            pollMs: 50,
            schema,
            logger: silent,
          });
          return {
            queue,
            close: async () => {
              await queue.close();
              await pool.end();
            },
          };
        },
  ],
];

for (const [name, open] of kinds) {
  describe.skipIf(!open)(`rest-hook queue: ${name}`, () => {
    it('settles each job once: delivered after its failures, or given up after the retries', async () => {
      const { queue, close } = await open!();
      const s = scripted();
      try {
        queue.start(s.handler);
        // In process, add() resolves once settled: not awaited one by one, they run side by side.
        await Promise.all(['fail-0', 'fail-2', 'never'].map((k) => queue.add(job(k))));
        await until(() => s.settled.length === 3);
        await queue.idle();
        expect(new Map(s.settled)).toEqual(
          new Map<string, DeliveryResult>([
            ['fail-0', { ok: true, attempts: 1 }],
            ['fail-2', { ok: true, attempts: 3 }],
            ['never', { ok: false, attempts: 3, error: 'HTTP 503' }],
          ]),
        );
        expect(s.settled).toHaveLength(3);
        expect(s.attempts).toEqual(
          new Map([
            ['fail-0', 1],
            ['fail-2', 3],
            ['never', 3],
          ]),
        );
      } finally {
        await close();
      }
    });

    it('does not retry a final failure', async () => {
      const { queue, close } = await open!();
      const s = scripted();
      try {
        queue.start(s.handler);
        await queue.add(job('final'));
        await until(() => s.settled.length === 1);
        expect(s.settled).toEqual([
          ['final', { ok: false, attempts: 1, error: 'the Subscription is no longer active' }],
        ]);
        expect(s.attempts.get('final')).toBe(1);
      } finally {
        await close();
      }
    });
  });
}

describe.skipIf(skip !== undefined)('rest-hook queue shared by two instances (PostgreSQL)', () => {
  it('gives each job to one instance, once; the same key queued twice is one job', async () => {
    const schema = `wq_${randomBytes(6).toString('hex')}`;
    const pools = [openPool(await url(), { max: 3 }), openPool(await url(), { max: 3 })];
    const [a, b] = await Promise.all(
      pools.map((p) => PgRestHookQueue.open(p, { ...policy, timeoutMs: 1000, pollMs: 50, schema, logger: silent })),
    );
    try {
      const sa = scripted();
      const sb = scripted();
      for (let n = 0; n < 30; n++) await (n % 2 ? a! : b!).add(job(`fail-${n % 2}-${n}`));
      await a!.add(job('fail-0-0')); // already queued: one job
      expect(await a!.counts()).toEqual({ ready: 30, claimed: 0, waiting: 0, dead: 0 });
      a!.start(sa.handler);
      b!.start(sb.handler);
      await until(() => sa.settled.length + sb.settled.length >= 30);
      await Promise.all([a!.idle(), b!.idle()]);
      const all = [...sa.settled, ...sb.settled];
      expect(all).toHaveLength(30);
      expect(new Set(all.map(([k]) => k)).size).toBe(30);
      expect(all.every(([, r]) => r.ok)).toBe(true);
      expect(await a!.counts()).toEqual({ ready: 0, claimed: 0, waiting: 0, dead: 0 });
    } finally {
      await Promise.all([a!.close(), b!.close()]);
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
