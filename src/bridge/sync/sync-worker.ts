/**
 * The sync worker of the server process: polls the outbox, and for each study that has been
 * quiet for `debounceMs` (or kept changing for `maxDelayMs`) runs one sync — never more than
 * one per study at a time, nor more often than once per `minIntervalMs`. Transient failures
 * come back after a growing backoff for as long as it takes; permanent ones are parked in the
 * dead-letter list. The outbox row goes only once the sync succeeded and no change came meanwhile.
 */
import type { Logger } from 'pino';
import type { BridgeConfig } from './config.js';
import { backoffMs, describeFailure, isTransient } from './failures.js';
import type { Outbox, OutboxRow } from './outbox.js';
import type { SyncOutcome } from './study-sync.js';

export type SyncTimings = Pick<BridgeConfig, 'debounceMs' | 'maxDelayMs' | 'minIntervalMs' | 'pollMs' | 'concurrency' | 'retryBaseDelayMs' | 'retryMaxDelayMs'>;

export interface SyncEvent {
  studyUid: string;
  outcome?: SyncOutcome;
  error?: string;
  transient?: boolean;
}

export class SyncWorker {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly lastRun = new Map<string, number>();
  private readonly listeners = new Set<(e: SyncEvent) => void>();

  constructor(
    private readonly outbox: Outbox,
    private readonly syncStudy: (studyUid: string) => Promise<SyncOutcome>,
    private readonly timings: SyncTimings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Every finished sync, for status and tests. Returns the unsubscribe function. */
  onSync(listener: (e: SyncEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Sync one study now, whatever its debounce (a person asked: release, replay). */
  async syncNow(studyUid: string): Promise<void> {
    await this.inFlight.get(studyUid);
    const row = this.outbox.get(studyUid);
    if (row) await this.run(row);
  }

  inFlightCount(): number {
    return this.inFlight.size;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    try {
      const free = this.timings.concurrency - this.inFlight.size;
      if (free > 0) {
        const now = this.now();
        const due = this.outbox.due({ now, debounceMs: this.timings.debounceMs, maxDelayMs: this.timings.maxDelayMs, limit: free + this.inFlight.size + 16 });
        let started = 0;
        for (const row of due) {
          if (started >= free) break;
          if (this.inFlight.has(row.studyUid)) continue;
          if (now - (this.lastRun.get(row.studyUid) ?? 0) < this.timings.minIntervalMs) continue;
          void this.run(row);
          started++;
        }
      }
    } catch (e) {
      this.logger.error({ err: e }, 'sync worker: reading the outbox failed');
    }
    this.schedule(this.timings.pollMs);
  }

  private run(row: OutboxRow): Promise<void> {
    const job = this.execute(row).finally(() => this.inFlight.delete(row.studyUid));
    this.inFlight.set(row.studyUid, job);
    return job;
  }

  private async execute(row: OutboxRow): Promise<void> {
    this.lastRun.set(row.studyUid, this.now());
    let event: SyncEvent;
    try {
      const outcome = await this.syncStudy(row.studyUid);
      this.outbox.complete(row.studyUid, row.seq, this.now());
      this.outbox.record({
        studyUid: row.studyUid,
        outcome: outcome.kind,
        syncedAt: this.now(),
        ...('id' in outcome && outcome.id ? { fhirId: outcome.id } : {}),
        ...('versionId' in outcome && outcome.versionId ? { versionId: outcome.versionId } : {}),
        ...('instances' in outcome ? { instances: outcome.instances } : {}),
      });
      event = { studyUid: row.studyUid, outcome };
      this.logger.debug({ studyUid: row.studyUid, outcome: outcome.kind }, 'study synced');
    } catch (e) {
      const error = describeFailure(e);
      const transient = isTransient(e);
      if (transient) {
        const delay = backoffMs(row.attempts, this.timings.retryBaseDelayMs, this.timings.retryMaxDelayMs);
        this.outbox.retryLater(row.studyUid, this.now() + delay, error);
        this.logger.warn({ studyUid: row.studyUid, attempts: row.attempts + 1, retryInMs: delay, error }, 'study sync failed; will retry');
      } else {
        this.outbox.park(row.studyUid, row.seq, error);
        this.logger.error({ studyUid: row.studyUid, error }, 'study sync failed permanently; parked in the dead-letter list');
      }
      event = { studyUid: row.studyUid, error, transient };
    }
    for (const l of this.listeners) l(event);
  }
}
