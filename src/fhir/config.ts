import { ConfigError } from '../core/errors.js';
import { parseFhirServers, type FhirServerConfig } from './client/server-config.js';
import { BATCH_LIMITS_DEFAULTS, type BatchLimits } from './rest/batch-limits.js';
import { isObject } from './types.js';

/** The `fhir` section of the config file. */
export interface FhirConfig {
  server: {
    /** Page size when a search has no _count. */
    defaultCount: number;
    /** Upper bound on _count and on history pages. */
    maxCount: number;
    /** How long a write waits for fhir.sqlite's write lock before answering 503 (ms, embedded store). */
    writeLockWaitMs: number;
  } & BatchLimits;
  /** External FHIR servers by name (`fhir.servers.<name>`), reached with the HTTP FHIR client. */
  servers: Record<string, FhirServerConfig>;
}

export const FHIR_DEFAULTS: FhirConfig = {
  server: { defaultCount: 20, maxCount: 1000, writeLockWaitMs: 10_000, ...BATCH_LIMITS_DEFAULTS },
  servers: {},
};
const SERVER_KEYS = Object.keys(FHIR_DEFAULTS.server) as (keyof FhirConfig['server'])[];

/** Validates `sections.fhir` at start-up; unknown keys and wrong types fail with the key's path. */
export function parseFhirConfig(section: unknown): FhirConfig {
  if (section === undefined) return FHIR_DEFAULTS;
  if (!isObject(section)) throw new ConfigError('config "fhir" must be an object');
  for (const key of Object.keys(section)) {
    if (key !== 'server' && key !== 'servers')
      throw new ConfigError(`config "fhir.${key}" is not known (known: server, servers)`);
  }
  const server = section.server ?? {};
  if (!isObject(server)) throw new ConfigError('config "fhir.server" must be an object');
  const out = { ...FHIR_DEFAULTS.server };
  for (const [key, value] of Object.entries(server)) {
    const known = SERVER_KEYS.find((k) => k === key);
    if (!known) throw new ConfigError(`config "fhir.server.${key}" is not known (known: ${SERVER_KEYS.join(', ')})`);
    const max = known === 'maxBatchCount' ? 100_000 : 10_000;
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
      throw new ConfigError(`config "fhir.server.${key}" must be an integer from 1 to ${max}`);
    }
    out[known] = value as number;
  }
  if (out.defaultCount > out.maxCount)
    throw new ConfigError('config "fhir.server.defaultCount" is larger than maxCount');
  return { server: out, servers: parseFhirServers(section.servers) };
}
