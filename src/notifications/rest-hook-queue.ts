/**
 * Where rest-hook notifications wait for delivery. In process (the embedded default): delivered
 * at once, retried with backoff in memory, lost if the process stops mid-retry. With PostgreSQL
 * (postgres/rest-hook-queue.ts): a job in the shared work queue, delivered by any instance and
 * taken over when the instance holding it dies. Both run the same handler and the same suite.
 */
import type { NotificationAccess } from '../audit/balp/access-record.js';
import type { Principal } from '../auth/principal.js';
import type { FhirResource } from '../fhir/types.js';
import type { DeliveryResult } from './rest-hook.js';

/** One notification to deliver: plain data (it may wait in a database). */
export interface RestHookJob {
  subscriptionId: string;
  /** The Subscription's version the notification was decided on (its channel is re-read at delivery). */
  subscriptionVersion: string;
  /** Sent as `Idempotency-Key` on every attempt: a receiver that sees it twice has the notification already. */
  key: string;
  /** The resource that matched (sent when the channel has a payload). */
  resource: FhirResource;
  /** For the audit record of a delivery that failed for good. */
  principal?: Principal;
  access: NotificationAccess;
}

/** One attempt's outcome (no URL, no payload in `error`). */
export type AttemptResult = { ok: true } | { ok: false; error: string; final?: boolean };

export interface RestHookHandler {
  /** One delivery attempt. `final`: retrying would not help (e.g. the Subscription is gone). */
  attempt(job: RestHookJob): Promise<AttemptResult>;
  /** The job's outcome, once: delivered, or given up after `attempts`. */
  settled(job: RestHookJob, result: DeliveryResult): Promise<void>;
}

export interface RestHookQueue {
  /** Durably accepted (resolves once stored, or, in process, once settled). */
  add(job: RestHookJob): Promise<void>;
  /** Starts delivering with `handler` (once). */
  start(handler: RestHookHandler): void;
  /** Resolves when what this instance holds is settled (in process) or its current attempts end. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export interface RetryPolicy {
  retries: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
}

/** Delay before attempt `attempts + 1` after `attempts` failed ones. */
export const backoffMs = (p: RetryPolicy, attempts: number) =>
  Math.min(p.retryBaseDelayMs * 2 ** Math.max(0, attempts - 1), p.retryMaxDelayMs);

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * In process: add() delivers at once with `retries` retries and resolves once settled (so the
 * caller's per-Subscription order is the delivery order). Nothing survives the process.
 */
export class InProcessRestHookQueue implements RestHookQueue {
  private handler: RestHookHandler | undefined;
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly policy: RetryPolicy,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {}

  start(handler: RestHookHandler): void {
    this.handler = handler;
  }

  add(job: RestHookJob): Promise<void> {
    const run = this.deliver(job);
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
    return run;
  }

  private async deliver(job: RestHookJob): Promise<void> {
    const handler = this.handler;
    if (!handler) throw new Error('rest-hook queue not started');
    let error = '';
    let attempts = 0;
    while (!this.closed) {
      attempts++;
      const r = await handler.attempt(job);
      if (r.ok) return handler.settled(job, { ok: true, attempts });
      error = r.error;
      if (r.final || attempts > this.policy.retries) break;
      await this.sleep(backoffMs(this.policy, attempts));
    }
    if (this.closed) return;
    await handler.settled(job, { ok: false, attempts, error });
  }

  async idle(): Promise<void> {
    await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
