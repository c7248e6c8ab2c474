import type { Logger } from 'pino';
import type { Lease } from '../core/postgres/lease.js';
import type { FhirProjection } from './fhir-projection.js';

/**
 * The FHIR copy of a chain shared by several instances (PostgreSQL): only the holder of the
 * `audit-projection` lease copies, and it copies by catching up from the shared watermark in
 * chain order — never by forwarding its own commits, which would move the watermark past records
 * another instance appended in between. It catches up soon after a local commit and every
 * `pollMs` for the others'. A holder that dies is replaced within the lease's ttl; the new one
 * starts from the watermark. Two holders for a moment (a stale one finishing) cost nothing but
 * work: a copy is created under the record's id, and a second create of it is skipped.
 */
export class LeasedProjection {
  private timer: NodeJS.Timeout | undefined;
  private due = Number.POSITIVE_INFINITY;
  private running: Promise<unknown> | undefined;
  private again = false;
  private closed = false;
  private resolveFirst!: (copied: number) => void;
  /** The first catch-up's count once this instance held the lease, or 0 when another holds it. */
  readonly caughtUp = new Promise<number>((resolve) => (this.resolveFirst = resolve));

  constructor(
    private readonly projection: FhirProjection,
    private readonly lease: Lease,
    private readonly options: { soonMs: number; pollMs: number },
    private readonly logger: Pick<Logger, 'error' | 'warn' | 'info'>,
  ) {}

  start(): void {
    this.lease.start({
      acquired: (token) => {
        this.logger.info({ token }, 'this instance now copies the audit chain into FHIR (lease taken)');
        this.schedule(0);
      },
      lost: () => {
        this.logger.warn('this instance no longer copies the audit chain into FHIR (lease lost)');
        clearTimeout(this.timer);
        this.timer = undefined;
        this.due = Number.POSITIVE_INFINITY;
      },
      error: (err) => this.logger.error({ err }, 'audit projection lease: renewal failed'),
    });
    // Another instance holds it: nothing to catch up here.
    void this.lease.tryAcquire().then((held) => held || this.resolveFirst(0));
  }

  /** Records were committed here: copy them soon (if this instance is the one that copies). */
  notify(): void {
    this.schedule(this.options.soonMs);
  }

  /** Gives the lease up (another instance takes over at once) after the copy under way. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.lease.release();
    while (this.running) await this.running;
    await this.projection.close();
    this.resolveFirst(0);
  }

  private schedule(ms: number): void {
    if (this.closed || !this.lease.held) return;
    const at = Date.now() + ms;
    if (this.timer && at >= this.due) return;
    clearTimeout(this.timer);
    this.due = at;
    this.timer = setTimeout(() => this.pass(), ms);
    this.timer.unref();
  }

  private pass(): void {
    this.timer = undefined;
    this.due = Number.POSITIVE_INFINITY;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.projection
      .catchUp()
      .then(
        (copied) => this.resolveFirst(copied),
        (err: unknown) => {
          this.logger.error({ err }, 'audit re-projection failed');
          this.resolveFirst(0);
        },
      )
      .finally(() => {
        this.running = undefined;
        const again = this.again;
        this.again = false;
        this.schedule(again ? 0 : this.options.pollMs);
      });
  }
}
