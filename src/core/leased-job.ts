import type { LeaseEvents } from './postgres/lease.js';

/** Background work that can be started and stopped again (a poller, a scheduler). */
export interface BackgroundJob {
  start(): void;
  /** Stops it and resolves once the pass under way has finished. */
  stop(): Promise<void>;
}

/** What LeasedJob needs of a lease (src/core/postgres/lease.ts). */
export interface JobLease {
  readonly name: string;
  readonly held: boolean;
  start(events: LeaseEvents): void;
  release(): Promise<void>;
}

interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/**
 * Runs a singleton background job on the one instance that holds its lease: started when the
 * lease is gained, stopped when it is lost (expired unrenewed, taken over) — so when its holder
 * dies another instance starts it within the lease's ttl. Without a lease (the embedded
 * database: one instance) the job simply runs. Starts and stops run one after another, never
 * overlapping: a job is never started while its previous stop is still finishing a pass.
 */
export class LeasedJob {
  private transition: Promise<void> = Promise.resolve();
  private running = false;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly job: BackgroundJob,
    private readonly lease: JobLease | undefined,
    private readonly logger: Log,
  ) {}

  /** Whether the job runs in this process now. */
  get active(): boolean {
    return this.running;
  }

  start(): void {
    if (!this.lease) {
      this.begin();
      return;
    }
    this.lease.start({
      acquired: (token) => {
        this.logger.info({ job: this.name, token }, 'background job starts here (lease taken)');
        this.begin();
      },
      lost: () => {
        this.logger.warn({ job: this.name }, 'background job stops here (lease lost)');
        this.end();
      },
      error: (err) => this.logger.error({ err, job: this.name }, 'background job lease: renewal failed'),
    });
  }

  /** Stops the job and gives the lease up: another instance takes it at its next try. */
  async close(): Promise<void> {
    if (this.closed) return this.transition;
    this.closed = true;
    this.end();
    await this.transition;
    await this.lease?.release();
  }

  private begin(): void {
    this.transition = this.transition.then(() => {
      if (this.running || this.closed || (this.lease && !this.lease.held)) return;
      this.running = true;
      this.job.start();
    });
  }

  private end(): void {
    this.transition = this.transition.then(async () => {
      if (!this.running) return;
      this.running = false;
      await this.job
        .stop()
        .catch((err: unknown) => this.logger.error({ err, job: this.name }, 'background job stop failed'));
    });
  }
}
