import { ConfigError } from '../errors.js';

/** How long a background job's lease lasts and how often it is renewed (config `database.lease`). */
export interface LeaseSettings {
  ttlMs: number;
  renewMs: number;
}

export const LEASE_DEFAULTS: LeaseSettings = { ttlMs: 10_000, renewMs: 3_000 };

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const seconds = (key: string, value: unknown, min: number, max: number): number => {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max)
    throw new ConfigError(`config "database.lease.${key}" must be a number of seconds from ${min} to ${max}`);
  return Math.round(value * 1000);
};

/**
 * Validates the config file's `database` section (`{ "url": …, "lease": { "ttlSeconds": 10,
 * "renewSeconds": 3 } }`, the url taken as --database). renewSeconds defaults to a third of the ttl
 * and must be shorter than it: a holder renews several times before anyone may take over.
 */
export function parseDatabaseSection(section: unknown): { lease: LeaseSettings } {
  if (section === undefined) return { lease: { ...LEASE_DEFAULTS } };
  if (!isRecord(section)) throw new ConfigError('config "database" must be a URL or an object');
  let lease = { ...LEASE_DEFAULTS };
  for (const [key, value] of Object.entries(section)) {
    if (key !== 'lease') throw new ConfigError(`config "database.${key}" is not known (known: url, lease)`);
    lease = parseLease(value);
  }
  return { lease };
}

function parseLease(value: unknown): LeaseSettings {
  if (!isRecord(value)) throw new ConfigError('config "database.lease" must be an object');
  let ttlMs = LEASE_DEFAULTS.ttlMs;
  let renewMs: number | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'ttlSeconds') ttlMs = seconds(key, v, 1, 600);
    else if (key === 'renewSeconds') renewMs = seconds(key, v, 0.1, 600);
    else throw new ConfigError(`config "database.lease.${key}" is not known (known: ttlSeconds, renewSeconds)`);
  }
  renewMs ??= Math.max(100, Math.floor(ttlMs / 3));
  if (renewMs >= ttlMs)
    throw new ConfigError('config "database.lease.renewSeconds" must be shorter than "database.lease.ttlSeconds"');
  return { ttlMs, renewMs };
}
