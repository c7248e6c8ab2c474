/**
 * Rest-hook notifications in the shared PostgreSQL work queue (`work_queue.job`, queue
 * `rest-hook`): add() stores the job before the write's notification counts as taken; every
 * instance polls the queue and claims jobs `FOR UPDATE SKIP LOCKED`, one attempt per claim; a
 * failed attempt is retried after the backoff by whichever instance claims it next; a claim whose
 * instance died runs out after the visibility timeout (the attempt timeout plus a margin) and the
 * job is taken over. Delivery is at least once: an instance that dies after the receiver answered
 * but before its claim was completed leaves the job to be sent again, with the same
 * `Idempotency-Key`.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { type Job, WorkQueue } from '../../core/postgres/work-queue.js';
import {
  backoffMs,
  type RestHookHandler,
  type RestHookJob,
  type RestHookQueue,
  type RetryPolicy,
} from '../rest-hook-queue.js';

interface Log {
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

export interface PgRestHookQueueOptions extends RetryPolicy {
  /** Per attempt: a claim stays this instance's for timeoutMs + marginMs. */
  timeoutMs: number;
  marginMs?: number;
  /** How often an idle instance looks for due jobs (default 1000 ms). */
  pollMs?: number;
  /** Jobs claimed (and attempted concurrently) per look (default 4). */
  batch?: number;
  /** Default `work_queue`. */
  schema?: string;
  /** Names this instance in `locked_by` (default host:pid:random). */
  worker?: string;
  logger: Log;
}

export class PgRestHookQueue implements RestHookQueue {
  private handler: RestHookHandler | undefined;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly worker: string;

  private constructor(
    private readonly queue: WorkQueue<RestHookJob>,
    private readonly o: PgRestHookQueueOptions,
  ) {
    this.worker = o.worker ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  static async open(pool: pg.Pool, o: PgRestHookQueueOptions): Promise<PgRestHookQueue> {
    const queue = await WorkQueue.open<RestHookJob>(pool, {
      queue: 'rest-hook',
      ...(o.schema ? { schema: o.schema } : {}),
      visibilityMs: o.timeoutMs + (o.marginMs ?? 5_000),
      maxAttempts: o.retries + 1,
      backoffMs: (attempts) => backoffMs(o, attempts),
    });
    return new PgRestHookQueue(queue, o);
  }

  async add(job: RestHookJob): Promise<void> {
    await this.queue.enqueue(job, { key: job.key });
    this.poll();
  }

  start(handler: RestHookHandler): void {
    this.handler = handler;
    this.timer = setInterval(() => this.poll(), this.o.pollMs ?? 1000);
    this.timer.unref();
    this.poll();
  }

  /** Claims and attempts due jobs until none is left; a call during a round asks for another. */
  private poll(): void {
    if (!this.handler || this.closed) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = (async () => {
      do {
        this.again = false;
        try {
          for (;;) {
            if (this.closed) return;
            const jobs = await this.queue.claim(this.worker, this.o.batch ?? 4);
            if (!jobs.length) break;
            await Promise.all(jobs.map((j) => this.run(j)));
          }
        } catch (err) {
          if (!this.closed) this.o.logger.warn({ err }, 'rest-hook queue: claim failed; trying again at the next poll');
        }
      } while (this.again && !this.closed);
    })().finally(() => {
      this.polling = undefined;
    });
  }

  private async run(job: Job<RestHookJob>): Promise<void> {
    const handler = this.handler!;
    try {
      const r = await handler.attempt(job.payload);
      if (r.ok) {
        // Stale (another instance took the job after this claim ran out): that one settles it.
        if (await this.queue.complete(job)) await handler.settled(job.payload, { ok: true, attempts: job.attempts });
        return;
      }
      if (r.final) {
        if (await this.queue.complete(job))
          await handler.settled(job.payload, { ok: false, attempts: job.attempts, error: r.error });
        return;
      }
      if ((await this.queue.fail(job, r.error)) === 'dead')
        await handler.settled(job.payload, { ok: false, attempts: job.attempts, error: r.error });
    } catch (err) {
      // The claim runs out and the job is attempted again.
      this.o.logger.error({ err, subscription: job.payload.subscriptionId }, 'rest-hook job failed');
    }
  }

  async idle(): Promise<void> {
    while (this.polling) await this.polling;
  }

  /** Stops claiming; an attempt under way ends (its claim completes or runs out). */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await this.polling;
  }

  /** Tests and status: ready, claimed, waiting and dead jobs. */
  counts() {
    return this.queue.counts();
  }
}
