/**
 * The scheduled reconcile (`reconcile` section of the config file): every `intervalMinutes` the
 * configured PACS is compared with the configured FHIR server; the drift is recorded (shown on
 * GET /api/sync/status as `drift`) and, with `apply`, the studies to bring over are queued
 * (outbox or source). Orphans are only counted: marking them writes to FHIR, a decision left to
 * `imaging-bridge reconcile --apply`.
 */
import { ConfigError } from '../core/errors.js';
import { isRecord } from './http-probe.js';
import type { ReconcileAction } from './reconcile-plan.js';

export interface ReconcileSchedule {
  intervalMinutes: number;
  /** The first run, this long after start (default 60: the server settles first). */
  firstDelaySeconds: number;
  /** The window, as --since (`30d`). */
  since: string;
  apply: boolean;
}

export interface Drift {
  checkedAt: string;
  pacsStudies?: number;
  matched?: number;
  missingInFhir?: number;
  mismatched?: number;
  notInPacs?: number;
  /** Actions carried out (with `apply`). */
  queued?: number;
  error?: string;
}

/** Validates `sections.reconcile`; undefined when absent (no schedule). */
export function parseReconcileSchedule(section: unknown): ReconcileSchedule | undefined {
  if (section === undefined) return undefined;
  if (!isRecord(section)) throw new ConfigError('config "reconcile" must be an object');
  const out: ReconcileSchedule = { intervalMinutes: 60, firstDelaySeconds: 60, since: '30d', apply: false };
  for (const [key, value] of Object.entries(section)) {
    if (key === 'intervalMinutes') {
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 10_080)
        throw new ConfigError('config "reconcile.intervalMinutes" must be an integer from 1 to 10080');
      out.intervalMinutes = value as number;
    } else if (key === 'firstDelaySeconds') {
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 86_400)
        throw new ConfigError('config "reconcile.firstDelaySeconds" must be an integer from 0 to 86400');
      out.firstDelaySeconds = value as number;
    } else if (key === 'since') {
      if (typeof value !== 'string' || !/^\d{1,5}[hdw]$/.test(value))
        throw new ConfigError('config "reconcile.since" must be like 30d, 12h or 2w');
      out.since = value;
    } else if (key === 'apply') {
      if (typeof value !== 'boolean') throw new ConfigError('config "reconcile.apply" must be true or false');
      out.apply = value;
    } else
      throw new ConfigError(
        `config "reconcile.${key}" is not known (known: intervalMinutes, firstDelaySeconds, since, apply)`,
      );
  }
  return out;
}

export interface SchedulerDeps {
  schedule: ReconcileSchedule;
  /** One comparison and plan: the counts and the actions that bring studies over. */
  compare(): Promise<{ counts: Omit<Drift, 'checkedAt' | 'queued' | 'error'>; bring: ReconcileAction[] }>;
  apply(actions: ReconcileAction[]): Promise<number>;
  record(drift: Drift): void;
  clock?: () => Date;
  onError?: (err: Error) => void;
}

export class ReconcileScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly d: SchedulerDeps) {}

  start(): void {
    const firstDelayMs = this.d.schedule.firstDelaySeconds * 1000;
    const every = this.d.schedule.intervalMinutes * 60_000;
    const tick = () => {
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
      });
      this.timer = setTimeout(tick, every);
      this.timer.unref();
    };
    this.timer = setTimeout(tick, firstDelayMs);
    this.timer.unref();
  }

  /** One run; failures are recorded as the drift's `error`, never thrown. */
  async runOnce(): Promise<void> {
    const checkedAt = (this.d.clock ?? (() => new Date()))().toISOString();
    try {
      const { counts, bring } = await this.d.compare();
      const queued = this.d.schedule.apply ? await this.d.apply(bring) : undefined;
      this.d.record({ checkedAt, ...counts, ...(queued !== undefined ? { queued } : {}) });
    } catch (e) {
      this.d.onError?.(e as Error);
      this.d.record({ checkedAt, error: (e as Error).message });
    }
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    await this.running;
  }
}
