import { ConfigError } from '../core/errors.js';
import { isObject } from '../fhir/types.js';

/** The `context` section of the config file. */
export interface ContextConfig {
  /** Where clinical data come from: `embedded`, or a server named in fhir.servers (read only). */
  fhirServer: string;
  /** Per query, ms. */
  timeoutMs: number;
  /** Page size of each section query (more is reported as truncated). */
  maxPerSection: number;
  /**
   * Worker threads that build contexts and stroke checks over the embedded SQLite store
   * (docs/context-api.md, "Read threads"); 0 = on the event loop. Unset: one per core but one, 1–2.
   */
  readThreads?: number;
  /**
   * Answers of the embedded SQLite store kept until a write of their types (docs/context-api.md,
   * "Cached reads"); 0 = none.
   */
  readCacheEntries: number;
}

export const CONTEXT_DEFAULTS: ContextConfig = {
  fhirServer: 'embedded',
  timeoutMs: 5000,
  maxPerSection: 1000,
  readCacheEntries: 2048,
};

export function parseContextConfig(section: unknown, fhirServers: string[]): ContextConfig {
  if (section === undefined) return CONTEXT_DEFAULTS;
  if (!isObject(section)) throw new ConfigError('config "context" must be an object');
  const out = { ...CONTEXT_DEFAULTS };
  for (const [key, value] of Object.entries(section)) {
    if (key === 'fhirServer') {
      if (value !== 'embedded' && !fhirServers.includes(value as string)) {
        throw new ConfigError(
          `config "context.fhirServer" must be "embedded" or a server of fhir.servers (${fhirServers.join(', ') || 'none configured'})`,
        );
      }
      out.fhirServer = value as string;
    } else if (key === 'timeoutMs' || key === 'maxPerSection' || key === 'readThreads' || key === 'readCacheEntries') {
      const [min, max] =
        key === 'timeoutMs'
          ? [1, 120_000]
          : key === 'readThreads'
            ? [0, 16]
            : key === 'readCacheEntries'
              ? [0, 100_000]
              : [1, 10_000];
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
        throw new ConfigError(`config "context.${key}" must be an integer from ${min} to ${max}`);
      out[key] = value as number;
    } else {
      throw new ConfigError(
        `config "context.${key}" is not known (known: fhirServer, timeoutMs, maxPerSection, readThreads, readCacheEntries)`,
      );
    }
  }
  return out;
}
