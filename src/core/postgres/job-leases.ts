import type pg from 'pg';
import { type BackgroundJob, LeasedJob } from '../leased-job.js';
import { leaseMigrations } from './lease.js';
import { Lease } from './lease.js';
import type { LeaseSettings } from './lease-config.js';
import { checkSchemaName, migrate } from './migrations.js';

interface Log {
  info(o: object, msg: string): void;
  warn(o: object, msg: string): void;
  error(o: object, msg: string): void;
}

/** Puts singleton background jobs behind named leases (PostgreSQL), or runs them as they are (embedded). */
export interface JobLeases {
  /** `job` run only by the instance that holds the lease `name` (with PostgreSQL), else always. */
  guard(name: string, job: BackgroundJob): LeasedJob;
  close(): Promise<void>;
}

/**
 * With a database URL: one small pool for every lease of this process, the lease table migrated
 * once. Without: no leases — the embedded database has one instance, which runs every job.
 */
export async function openJobLeases(
  database: string | undefined,
  settings: LeaseSettings,
  logger: Log,
  options: { schema?: string; holder?: string } = {},
): Promise<JobLeases> {
  const schema = checkSchemaName(options.schema ?? 'lease');
  // pg is loaded only with a database (the embedded server never needs it).
  const pool: pg.Pool | undefined = database ? (await import('./pool.js')).openPool(database, { max: 2 }) : undefined;
  try {
    if (pool) await migrate(pool, schema, leaseMigrations(schema));
  } catch (e) {
    await pool?.end();
    throw e;
  }
  const jobs: LeasedJob[] = [];
  let closing: Promise<void> | undefined;
  return {
    guard: (name, job) => {
      const lease =
        pool &&
        Lease.inMigratedTable(pool, {
          name,
          schema,
          ttlMs: settings.ttlMs,
          renewMs: settings.renewMs,
          ...(options.holder ? { holder: options.holder } : {}),
        });
      const leased = new LeasedJob(name, job, lease, logger);
      jobs.push(leased);
      return leased;
    },
    close: () =>
      (closing ??= (async () => {
        await Promise.all(jobs.map((j) => j.close()));
        await pool?.end();
      })()),
  };
}
