/**
 * The `bridge` section of the config file: where studies go (the embedded FHIR server or a
 * named external one), patient matching, per-source profiles, and sync timing. Validated at
 * start-up; a wrong key fails with its path.
 */
import { ConfigError } from '../../core/errors.js';
import { hostTimezone } from '../../core/host-timezone.js';
import { isValidTimezone } from '../mapping/index.js';
import type { Severity, SourceProfile } from '../normalize/index.js';
import { own } from '../../core/own.js';

/** One source (an AE title, `STOW-RS`, `import`): its normalization profile plus mapping settings. */
export interface SourceSettings extends SourceProfile {
  defaultPatientSystem?: string;
  accessionSystem?: string;
  timezone?: string;
}

export interface BridgeConfig {
  enabled: boolean;
  /** `embedded` (the FHIR server in this process) or a name from fhir.servers. */
  target: string;
  patientPolicy: 'create' | 'require-existing';
  issuerSystems: Record<string, string>;
  /** For sources without their own: never empty, so MRN 123 of two hospitals stay two people. */
  defaultPatientSystem: string;
  accessionSystem?: string;
  /**
   * For DICOM times without TimezoneOffsetFromUTC: an IANA zone or ±hhmm; not set: the host's zone
   * (`hostTimezone`, read at the first study).
   */
  timezone?: string;
  demographicMismatchSeverity: Severity;
  /** `quarantine reject`: keep the study in the archive (never synced) or delete it. */
  rejectPolicy: 'keep' | 'delete';
  sources: Record<string, SourceSettings>;
  /** Quiet time after a study's last change before it is written. */
  debounceMs: number;
  /** A study still changing is written at least this often. */
  maxDelayMs: number;
  /** At most one write per study per this interval. */
  minIntervalMs: number;
  pollMs: number;
  /** FHIR requests in flight while a batch of studies is prepared (matching, reading the stored ImagingStudy). */
  concurrency: number;
  /** Studies synced together in one pass: one FHIR transaction and one archive commit for all of them. */
  batchSize: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /**
   * With several instances on one PostgreSQL database: how long a due study stays claimed by the
   * instance that took it without renewing the claim (PgOutbox `claimMs`, docs/bridge-postgres.md):
   * a running pass renews its claims every third of it (claim-renewal.ts); a dead instance's
   * studies are synced by another one after it. Unused on SQLite.
   */
  outboxClaimMs: number;
  /**
   * Runs the sync (reading the archive index, mapping, validating, the FHIR writes, the journal)
   * on a worker thread of its own with its own SQLite connections, so the server's event loop
   * only receives and commits instances (bridge-thread.ts). SQLite only: with --database the
   * sync runs in process whatever this says.
   */
  thread: boolean;
}

export const BRIDGE_DEFAULTS: BridgeConfig = {
  enabled: true,
  target: 'embedded',
  patientPolicy: 'create',
  issuerSystems: {},
  defaultPatientSystem: 'urn:imaging-bridge:patient-id',
  demographicMismatchSeverity: 'warning',
  rejectPolicy: 'keep',
  sources: {},
  debounceMs: 300,
  maxDelayMs: 1500,
  minIntervalMs: 1000,
  pollMs: 100,
  concurrency: 8,
  batchSize: 16,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 60_000,
  outboxClaimMs: 60_000,
  thread: false,
};

const NUMBERS = {
  debounceMs: [0, 60_000],
  maxDelayMs: [0, 600_000],
  minIntervalMs: [0, 600_000],
  pollMs: [10, 60_000],
  concurrency: [1, 64],
  batchSize: [1, 1000],
  retryBaseDelayMs: [1, 600_000],
  retryMaxDelayMs: [1, 3_600_000],
  outboxClaimMs: [1000, 3_600_000],
} as const;
const SEVERITIES = ['info', 'warning', 'error'];
const PROFILE_MAPS = ['modalitySynonyms', 'bodyPartSynonyms', 'sexSynonyms', 'severity'] as const;
const SOURCE_KEYS = [...PROFILE_MAPS, 'patientIdLeadingZeros', 'defaultPatientSystem', 'accessionSystem', 'timezone'];
const KNOWN = [
  'enabled',
  'thread',
  'target',
  'patientPolicy',
  'issuerSystems',
  'defaultPatientSystem',
  'accessionSystem',
  'timezone',
  'demographicMismatchSeverity',
  'rejectPolicy',
  'sources',
  ...Object.keys(NUMBERS),
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringMap(value: unknown, at: string, check?: (v: string, key: string) => void): Record<string, string> {
  if (!isObject(value)) throw new ConfigError(`config "${at}" must be an object of strings`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string' || v.trim() === '')
      throw new ConfigError(`config "${at}.${k}" must be a non-empty string`);
    check?.(v, k);
  }
  return value as Record<string, string>;
}

function uri(value: unknown, at: string): string {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9+.-]*:\S+$/i.test(value))
    throw new ConfigError(`config "${at}" must be an absolute URI (an identifier system)`);
  return value;
}

function timezone(value: unknown, at: string): string {
  if (typeof value !== 'string' || !isValidTimezone(value))
    throw new ConfigError(`config "${at}" must be an IANA time zone or ±hhmm`);
  return value;
}

function oneOf<T extends string>(value: unknown, values: readonly T[], at: string): T {
  if (typeof value !== 'string' || !values.includes(value as T))
    throw new ConfigError(`config "${at}" must be one of ${values.join(', ')}`);
  return value as T;
}

function parseSource(name: string, value: unknown): SourceSettings {
  const at = `bridge.sources.${name}`;
  if (!isObject(value)) throw new ConfigError(`config "${at}" must be an object`);
  const out: SourceSettings = {};
  for (const [key, v] of Object.entries(value)) {
    if (!SOURCE_KEYS.includes(key))
      throw new ConfigError(`config "${at}.${key}" is not known (known: ${SOURCE_KEYS.join(', ')})`);
    if (key === 'severity')
      out.severity = stringMap(v, `${at}.severity`, (s, k) => oneOf(s, SEVERITIES, `${at}.severity.${k}`)) as Record<
        string,
        Severity
      >;
    else if ((PROFILE_MAPS as readonly string[]).includes(key))
      out[key as 'modalitySynonyms'] = stringMap(v, `${at}.${key}`);
    else if (key === 'patientIdLeadingZeros')
      out.patientIdLeadingZeros = oneOf(v, ['keep', 'strip'] as const, `${at}.${key}`);
    else if (key === 'timezone') out.timezone = timezone(v, `${at}.timezone`);
    else out[key as 'defaultPatientSystem' | 'accessionSystem'] = uri(v, `${at}.${key}`);
  }
  return out;
}

/** Validates `sections.bridge`; `fhirServers` are the names configured under fhir.servers. */
export function parseBridgeConfig(section: unknown, fhirServers: readonly string[]): BridgeConfig {
  const out: BridgeConfig = { ...BRIDGE_DEFAULTS, sources: {}, issuerSystems: {} };
  if (section === undefined) return out;
  if (!isObject(section)) throw new ConfigError('config "bridge" must be an object');
  for (const [key, v] of Object.entries(section)) {
    const at = `bridge.${key}`;
    if (!KNOWN.includes(key)) throw new ConfigError(`config "${at}" is not known (known: ${KNOWN.join(', ')})`);
    if (key === 'enabled' || key === 'thread') {
      if (typeof v !== 'boolean') throw new ConfigError(`config "${at}" must be true or false`);
      out[key] = v;
    } else if (key === 'target') {
      if (typeof v !== 'string' || (v !== 'embedded' && !fhirServers.includes(v))) {
        throw new ConfigError(
          `config "${at}" must be "embedded" or a server named in fhir.servers (${fhirServers.join(', ') || 'none configured'})`,
        );
      }
      out.target = v;
    } else if (key === 'patientPolicy') out.patientPolicy = oneOf(v, ['create', 'require-existing'], at);
    else if (key === 'issuerSystems') out.issuerSystems = stringMap(v, at, (s, k) => uri(s, `${at}.${k}`));
    else if (key === 'defaultPatientSystem' || key === 'accessionSystem') out[key] = uri(v, at);
    else if (key === 'timezone') out.timezone = timezone(v, at);
    else if (key === 'demographicMismatchSeverity')
      out.demographicMismatchSeverity = oneOf(v, ['info', 'warning', 'error'], at);
    else if (key === 'rejectPolicy') out.rejectPolicy = oneOf(v, ['keep', 'delete'], at);
    else if (key === 'sources') {
      if (!isObject(v))
        throw new ConfigError(`config "${at}" must be an object keyed by source (AE title, STOW-RS, import)`);
      for (const [name, source] of Object.entries(v)) out.sources[name] = parseSource(name, source); // looked up with own()
    } else {
      const [min, max] = NUMBERS[key as keyof typeof NUMBERS];
      if (!Number.isInteger(v) || (v as number) < min || (v as number) > max)
        throw new ConfigError(`config "${at}" must be an integer from ${min} to ${max}`);
      out[key as keyof typeof NUMBERS] = v as number;
    }
  }
  if (out.retryBaseDelayMs > out.retryMaxDelayMs)
    throw new ConfigError('config "bridge.retryBaseDelayMs" is larger than retryMaxDelayMs');
  return out;
}

/** The settings that apply to instances from `source`. */
export function sourceSettings(
  config: BridgeConfig,
  source: string,
): Required<Pick<SourceSettings, 'defaultPatientSystem' | 'timezone'>> & SourceSettings {
  const settings = own(config.sources, source) ?? {};
  return {
    ...settings,
    defaultPatientSystem: settings.defaultPatientSystem ?? config.defaultPatientSystem,
    timezone: settings.timezone ?? config.timezone ?? hostTimezone(),
    accessionSystem: settings.accessionSystem ?? config.accessionSystem,
  };
}
