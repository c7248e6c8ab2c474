import type pg from 'pg';
import { checkSchemaName, type Migration, migrate } from './migrations.js';

/** The job table in schema `s` (default `work_queue`). Released versions are never edited. */
export function workQueueMigrations(s: string): Migration[] {
  return [
    {
      version: 1,
      description: 'jobs claimed with FOR UPDATE SKIP LOCKED, retried, with a visibility timeout',
      sql: `CREATE TABLE ${s}.job (
  id bigserial PRIMARY KEY,
  queue text COLLATE "C" NOT NULL,
  key text COLLATE "C",
  payload jsonb NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  run_after timestamptz NOT NULL DEFAULT clock_timestamp(),
  locked_until timestamptz,
  locked_by text,
  claim uuid,
  last_error text,
  dead boolean NOT NULL DEFAULT false
);
CREATE INDEX job_ready ON ${s}.job (queue, run_after, id) WHERE NOT dead;
-- At most one live job per (queue, key): enqueueing the same work twice is one job.
CREATE UNIQUE INDEX job_key ON ${s}.job (queue, key) WHERE key IS NOT NULL AND NOT dead;`,
    },
  ];
}

export interface WorkQueueOptions {
  /** The queue's name (several queues share the table). */
  queue: string;
  /** A claimed job is invisible to other workers this long; unfinished by then (its worker died), it is claimed again. Default 30 s. */
  visibilityMs?: number;
  /** Attempts before a failing job is set aside as dead (kept for inspection). Default 5. */
  maxAttempts?: number;
  /** Delay before the next attempt after a failure (default 1 s × 2^(attempts−1), at most 5 min). */
  backoffMs?: (attempts: number) => number;
  /** PostgreSQL schema of the job table (default `work_queue`). */
  schema?: string;
}

export interface Job<T> {
  id: number;
  payload: T;
  /** This attempt's number (1 for the first). */
  attempts: number;
  /** Proves this claim: complete()/fail() of an older claim of the same job do nothing. */
  claim: string;
}

export interface QueueCounts {
  ready: number;
  claimed: number;
  waiting: number;
  dead: number;
}

const defaultBackoff = (attempts: number) => Math.min(300_000, 1000 * 2 ** Math.max(0, attempts - 1));

/**
 * A work queue in PostgreSQL shared by every instance: claim() takes ready jobs with
 * `FOR UPDATE SKIP LOCKED` (concurrent claimers never wait for, nor take, each other's rows) and
 * hides them for the visibility timeout; complete() removes the job; fail() schedules a retry
 * with backoff, or sets it aside as dead after maxAttempts. A worker that dies leaves its jobs
 * claimed until the timeout, then another takes them: each job is done at least once, and —
 * since a stale claim cannot complete — its outcome is recorded once. Work that must not run
 * twice must be idempotent or fenced (see lease.ts).
 */
export class WorkQueue<T> {
  private constructor(
    private readonly pool: pg.Pool,
    private readonly s: string,
    readonly queue: string,
    private readonly visibilityMs: number,
    private readonly maxAttempts: number,
    private readonly backoffMs: (attempts: number) => number,
  ) {}

  static async open<T>(pool: pg.Pool, options: WorkQueueOptions): Promise<WorkQueue<T>> {
    const schema = checkSchemaName(options.schema ?? 'work_queue');
    await migrate(pool, schema, workQueueMigrations(schema));
    return new WorkQueue<T>(
      pool,
      schema,
      options.queue,
      options.visibilityMs ?? 30_000,
      options.maxAttempts ?? 5,
      options.backoffMs ?? defaultBackoff,
    );
  }

  /** Adds a job; with `key`, nothing is added while a live job has that key (returns undefined then). */
  async enqueue(payload: T, options: { key?: string; delayMs?: number } = {}): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ id: number }>(
      `INSERT INTO ${this.s}.job (queue, key, payload, run_after)
         VALUES ($1, $2, $3, clock_timestamp() + $4 * interval '1 millisecond')
       ON CONFLICT (queue, key) WHERE key IS NOT NULL AND NOT dead DO NOTHING
       RETURNING id`,
      [this.queue, options.key ?? null, JSON.stringify(payload), options.delayMs ?? 0],
    );
    return rows[0]?.id;
  }

  /** Claims up to `limit` ready jobs for `worker`, oldest first; none waits on another claimer. */
  async claim(worker: string, limit = 1): Promise<Job<T>[]> {
    // A job claimed maxAttempts times whose last claim ran out (its workers died each time) is set aside.
    await this.pool.query(
      `UPDATE ${this.s}.job SET dead = true, claim = NULL,
              last_error = coalesce(last_error, 'claimed ' || attempts || ' times without an outcome (its workers stopped)')
        WHERE queue = $1 AND NOT dead AND attempts >= $2 AND locked_until < clock_timestamp()`,
      [this.queue, this.maxAttempts],
    );
    const { rows } = await this.pool.query<{ id: number; payload: T; attempts: number; claim: string }>(
      `WITH picked AS (
         SELECT id FROM ${this.s}.job
          WHERE queue = $1 AND NOT dead AND run_after <= clock_timestamp()
            AND (locked_until IS NULL OR locked_until < clock_timestamp())
          ORDER BY run_after, id
          LIMIT $2
          FOR UPDATE SKIP LOCKED)
       UPDATE ${this.s}.job j
          SET attempts = j.attempts + 1, claim = gen_random_uuid(), locked_by = $3,
              locked_until = clock_timestamp() + $4 * interval '1 millisecond'
         FROM picked WHERE j.id = picked.id
       RETURNING j.id, j.payload, j.attempts, j.claim`,
      [this.queue, limit, worker, this.visibilityMs],
    );
    return rows.sort((a, b) => a.id - b.id);
  }

  /** Extends a claim by the visibility timeout (long work); false when the claim is no longer this one. */
  async extend(job: Job<T>): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE ${this.s}.job SET locked_until = clock_timestamp() + $3 * interval '1 millisecond'
        WHERE id = $1 AND claim = $2`,
      [job.id, job.claim, this.visibilityMs],
    );
    return r.rowCount === 1;
  }

  /** The job is done: removed. False when this claim had expired and another worker claimed the job. */
  async complete(job: Job<T>): Promise<boolean> {
    const r = await this.pool.query(`DELETE FROM ${this.s}.job WHERE id = $1 AND claim = $2`, [job.id, job.claim]);
    return r.rowCount === 1;
  }

  /**
   * The attempt failed: retried after the backoff, or set aside as dead after maxAttempts.
   * 'stale' when this claim was no longer the job's.
   */
  async fail(job: Job<T>, error: unknown): Promise<'retry' | 'dead' | 'stale'> {
    const dead = job.attempts >= this.maxAttempts;
    const r = await this.pool.query(
      `UPDATE ${this.s}.job
          SET locked_until = NULL, locked_by = NULL, claim = NULL, last_error = $3, dead = $4,
              run_after = clock_timestamp() + $5 * interval '1 millisecond'
        WHERE id = $1 AND claim = $2`,
      [
        job.id,
        job.claim,
        String((error as Error)?.message ?? error).slice(0, 2000),
        dead,
        this.backoffMs(job.attempts),
      ],
    );
    if (r.rowCount !== 1) return 'stale';
    return dead ? 'dead' : 'retry';
  }

  async counts(): Promise<QueueCounts> {
    const { rows } = await this.pool.query<QueueCounts>(
      `SELECT count(*) FILTER (WHERE NOT dead AND (locked_until IS NULL OR locked_until < now()) AND run_after <= now()) AS ready,
              count(*) FILTER (WHERE NOT dead AND locked_until >= now()) AS claimed,
              count(*) FILTER (WHERE NOT dead AND (locked_until IS NULL OR locked_until < now()) AND run_after > now()) AS waiting,
              count(*) FILTER (WHERE dead) AS dead
         FROM ${this.s}.job WHERE queue = $1`,
      [this.queue],
    );
    return rows[0]!;
  }
}
