import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { BackgroundJob } from '../leased-job.js';

const CHILD = fileURLToPath(new URL('../../../test/support/pg-coordination-child.ts', import.meta.url));

export const tempSchema = (prefix: string) => `${prefix}_${randomBytes(6).toString('hex')}`;

/** Starts test/support/pg-coordination-child.ts and resolves with the child once it printed a line matching `ready`. */
export function startChild(args: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not print ${ready} in 60 s: ${out}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => ready.test(l));
      if (line) {
        clearTimeout(timer);
        resolve({ child, line });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}): ${out}`));
    });
  });
}

/** SIGKILL, and wait for the exit. */
export function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The table tickingJob writes to (in `schema`). */
export async function createTickTable(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await pool.query(
    `CREATE TABLE IF NOT EXISTS ${schema}.tick (id bigserial PRIMARY KEY, who text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())`,
  );
}

/** A background job that records `who` in `schema`.tick every 50 ms while it runs: who ran it when, in one clock. */
export function tickingJob(pool: pg.Pool, schema: string, who: string, onStart?: () => void): BackgroundJob {
  let timer: NodeJS.Timeout | undefined;
  let pending: Promise<unknown> = Promise.resolve();
  const tick = () =>
    (pending = pool.query(`INSERT INTO ${schema}.tick (who) VALUES ($1)`, [who]).catch(() => undefined));
  return {
    start: () => {
      tick();
      timer = setInterval(tick, 50);
      onStart?.();
    },
    stop: async () => {
      clearInterval(timer);
      await pending;
    },
  };
}

/** Each runner's ticks as [first, last] in database time, ordered by first tick. */
export async function tickSpans(
  pool: pg.Pool,
  schema: string,
): Promise<{ who: string; first: number; last: number }[]> {
  const { rows } = await pool.query<{ who: string; first: Date; last: Date }>(
    `SELECT who, min(at) AS first, max(at) AS last FROM ${schema}.tick GROUP BY who ORDER BY min(at)`,
  );
  return rows.map((r) => ({ who: r.who, first: r.first.getTime(), last: r.last.getTime() }));
}
