import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import { checkSchemaName, type Migration, migrate } from './migrations.js';

/** The lease table in schema `s` (default `lease`). Released versions are never edited. */
export function leaseMigrations(s: string): Migration[] {
  return [
    {
      version: 1,
      description: 'named leases with expiry and a fencing token',
      sql: `CREATE TABLE ${s}.lease (
  name text COLLATE "C" PRIMARY KEY,
  holder text NOT NULL,
  token bigint NOT NULL,
  expires_at timestamptz NOT NULL
);`,
    },
  ];
}

export interface LeaseOptions {
  /** What the lease guards, e.g. `audit-projection`. */
  name: string;
  /** Who asks (default host:pid:random): unique per process. */
  holder?: string;
  /** How long a taken or renewed lease lasts without renewal (default 10 s): a dead holder's work is taken over after at most this. */
  ttlMs?: number;
  /** How often the holder renews and the others try to take it (default ttl / 3). */
  renewMs?: number;
  /** PostgreSQL schema of the lease table (default `lease`). */
  schema?: string;
}

export interface LeaseEvents {
  /** This process now holds the lease; `token` is larger than every earlier holder's (a fencing token). */
  acquired?(token: number): void;
  /** This process no longer holds it (expired unrenewed, taken over, released): stop the work it guards. */
  lost?(): void;
  /** A renewal or attempt failed (the database unreachable, …); the lease is kept until it expires locally. */
  error?(err: unknown): void;
}

/**
 * A named lease in PostgreSQL: one holder at a time, with an expiry. The holder renews it every
 * `renewMs`; the others try to take it as often, and succeed once it has expired — a holder that
 * died (or lost the database) is replaced within ttl + renewMs. Expiry is judged by the database's
 * clock (one clock for every instance). The holder counts the lease as held only until ttl after it
 * SENT its last successful renewal (its own monotonic clock): it stops before anyone else may start.
 * Each new holder gets a larger `token`, for work that must refuse a stale holder's late writes.
 */
export class Lease {
  readonly holder: string;
  private readonly ttlMs: number;
  private readonly renewMs: number;
  private timer: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private heldToken: number | undefined;
  private events: LeaseEvents = {};
  private attempt: Promise<boolean> | undefined;
  private stopped = true;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    readonly name: string,
    options: LeaseOptions,
  ) {
    this.holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.ttlMs = options.ttlMs ?? 10_000;
    this.renewMs = options.renewMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
    if (this.renewMs >= this.ttlMs) throw new Error('lease: renewMs must be shorter than ttlMs');
  }

  /** Creates the lease table if needed (migrations; refuses a newer schema). Nothing is taken yet. */
  static async open(pool: pg.Pool, options: LeaseOptions): Promise<Lease> {
    const schema = checkSchemaName(options.schema ?? 'lease');
    await migrate(pool, schema, leaseMigrations(schema));
    return new Lease(pool, schema, options.name, options);
  }

  /** A lease in a table that open() (or an earlier migrate) already brought up to date: no round trip. */
  static inMigratedTable(pool: pg.Pool, options: LeaseOptions): Lease {
    return new Lease(pool, checkSchemaName(options.schema ?? 'lease'), options.name, options);
  }

  /** Whether this process holds the lease now. */
  get held(): boolean {
    return this.heldToken !== undefined;
  }

  /** The fencing token while held. */
  get token(): number | undefined {
    return this.heldToken;
  }

  /** Tries now, then every renewMs: takes the lease when free or expired, renews it while held. */
  start(events: LeaseEvents = {}): void {
    this.events = events;
    this.stopped = false;
    const tick = () => {
      void this.tryAcquire().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(tick, this.renewMs);
        this.timer.unref(); // the lease alone does not keep a process alive
      });
    };
    tick();
  }

  /**
   * One attempt: takes the lease if it is free, expired or ours, and extends it by ttl.
   * Resolves to whether this process holds it afterwards.
   */
  tryAcquire(): Promise<boolean> {
    this.attempt ??= this.acquireOnce().finally(() => (this.attempt = undefined));
    return this.attempt;
  }

  /** Stops trying; gives the lease up (expired at once, so another instance takes it at its next try). */
  async release(): Promise<void> {
    this.stop();
    await this.attempt?.catch(() => undefined);
    const wasHeld = this.held;
    this.drop();
    if (!wasHeld) return;
    await this.pool
      .query(`UPDATE ${this.schema}.lease SET expires_at = '-infinity' WHERE name = $1 AND holder = $2`, [
        this.name,
        this.holder,
      ])
      .catch((err: unknown) => this.events.error?.(err)); // it expires by itself then
  }

  /** Stops trying and renewing without giving the lease up (what a crash looks like; for tests). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async acquireOnce(): Promise<boolean> {
    const sent = performance.now();
    let token: number | undefined;
    try {
      const { rows } = await this.pool.query<{ token: number }>(
        `INSERT INTO ${this.schema}.lease AS l (name, holder, token, expires_at)
           VALUES ($1, $2, 1, clock_timestamp() + $3 * interval '1 millisecond')
         ON CONFLICT (name) DO UPDATE SET
           holder = excluded.holder,
           token = CASE WHEN l.holder = excluded.holder THEN l.token ELSE l.token + 1 END,
           expires_at = excluded.expires_at
         WHERE l.holder = excluded.holder OR l.expires_at < clock_timestamp()
         RETURNING token`,
        [this.name, this.holder, this.ttlMs],
      );
      token = rows[0]?.token;
    } catch (err) {
      this.events.error?.(err);
      return this.held; // held until the local expiry, which the last success set
    }
    if (token === undefined) {
      this.drop();
      return false;
    }
    const wasToken = this.heldToken;
    this.heldToken = token;
    clearTimeout(this.expiry);
    // Counted from when the renewal was sent: never later than the database's expiry.
    this.expiry = setTimeout(() => this.drop(), Math.max(0, this.ttlMs - (performance.now() - sent)));
    this.expiry.unref();
    if (wasToken !== token) this.events.acquired?.(token);
    return true;
  }

  private drop(): void {
    clearTimeout(this.expiry);
    if (this.heldToken === undefined) return;
    this.heldToken = undefined;
    this.events.lost?.();
  }
}
