import type { BlobStoreSpec } from './blob-store.js';

/** The typed configuration of one ImagingBridge process. Built once at start-up, passed in. */
export interface Config {
  host: string;
  httpPort: number;
  dicomPort: number;
  /** Base URL written into RetrieveURL, FHIR Endpoint.address and OAuth metadata. */
  publicUrl: string;
  dataDir: string;
  /** postgres://USER[:PASS]@HOST[:PORT]/DB: the FHIR store in PostgreSQL (docs/postgresql.md); unset: embedded SQLite. */
  database?: string;
  /** `file:DIR` or `s3://BUCKET/PREFIX` as given (docs/blob-store.md); unset: the data directory. */
  blobStore?: string;
  /** Where instance bytes go, resolved from `blobStore` (and for S3 the AWS variables) at load. */
  blobs: BlobStoreSpec;
  auth: 'none' | 'smart';
  /** Same SOP Instance UID with different content: refuse it (0x0111), or keep the newest as an audited new version. */
  duplicatePolicy: 'reject' | 'keep-newest';
  /** Binary values longer than this are served as BulkDataURI in metadata. */
  bulkDataThreshold: number;
  /** Upper bound on QIDO results when the client gives no (or a larger) limit. */
  maxQidoResults: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Refuse new instances (0xA700 out of resources) when the data volume has less free space. */
  minFreeBytes: number;
  /** Our DICOM Application Entity title (DIMSE). */
  dicomAet: string;
  /** Load the synthetic demo dataset at start-up (idempotent). */
  demo: boolean;
  /** HTTPS: PEM certificate (chain) and private key files; both or neither. HSTS is sent when set. */
  tlsCert?: string;
  tlsKey?: string;
  /**
   * The audit chain's HMAC key, kept outside the data directory so that whoever can edit the
   * data directory cannot recompute the chain. Default: `<data-dir>.audit-key` beside it (created once).
   */
  auditKeyFile?: string;
  /**
   * How long an audit commit waits for another process's lock on audit.sqlite before it fails
   * (and the access it guards is refused), in ms. Not a flag: unset = 5 s; set by embedders
   * and by tests that hold the lock on purpose.
   */
  auditBusyTimeoutMs?: number;
  /** Lifetime of the access tokens we issue, in seconds (SMART recommends ≤ 300). */
  tokenLifetime: number;
  /** Seconds an authenticated request may take to arrive whole (a STOW upload); 0 = no limit. */
  requestTimeout: number;
  /** Seconds for a request's headers, and for a public or unauthenticated request's body, to arrive. */
  publicRequestTimeout: number;
  /**
   * Encryption at rest: a file outside the data directory (mode 0600) holding the data key(s),
   * primary first. Or `encryptionKey`, from IMAGING_BRIDGE_ENCRYPTION_KEY only (never a flag or
   * a config-file key: it would show in process lists and copies of the file). Neither: plain.
   */
  encryptionKeyFile?: string;
  encryptionKey?: string;
  /** Worker threads rendering images (WADO-RS rendered/thumbnail); 0 = one per core but one, at least 1, at most 2. */
  renderThreads: number;
  /** Frames that may wait for a render thread; beyond, requests get 503 with Retry-After. */
  renderQueue: number;
  /** Memory for cached thumbnails, in bytes. */
  thumbnailCacheBytes: number;
  /**
   * Structured sections that only a config file can express (peers, sources, servers).
   * Each is validated by the module that owns it at start-up.
   */
  sections: ConfigSections;
}

export interface ConfigSections {
  /** DIMSE association policy, peers (C-MOVE destinations), TLS: validated by src/dimse. */
  dimse?: unknown;
  /** Watched PACS sources: validated by src/sources. */
  sources?: unknown;
  /** FHIR target / external servers: validated by src/fhir. */
  fhir?: unknown;
  /** DICOM → FHIR sync (target, patient matching, source profiles): validated by src/bridge/sync. */
  bridge?: unknown;
  /** Patient-context API (clinical FHIR server, timeouts): validated by src/context. */
  context?: unknown;
  /** Stroke thrombolysis check (last-known-well code, head-study patterns, automatic runs): validated by src/applications/stroke. */
  stroke?: unknown;
  /** Radiology worklist (weights, tiers, lists): validated by src/clinical/worklist. */
  worklist?: unknown;
  /** FHIR Subscription delivery (rest-hook allow-list, retries): validated by src/notifications. */
  notifications?: unknown;
  /** Authorization: external issuers, users and role mapping, audit export: validated by src/security. */
  security?: unknown;
  /** Scheduled drift reconciliation (interval, window, apply): validated by src/assessment. */
  reconcile?: unknown;
  /** The config file's `database` object less its `url`: background-job leases, validated by src/core/postgres/lease-config.ts. */
  database?: unknown;
}

export const SECTION_KEYS = [
  'dimse',
  'sources',
  'fhir',
  'bridge',
  'context',
  'stroke',
  'worklist',
  'reconcile',
  'notifications',
  'security',
] as const;

/** One option: its flag, environment variable and config-file key are derived from `key`. */
export interface OptionSpec {
  key: keyof Config;
  type: 'string' | 'port' | 'int' | 'enum' | 'boolean';
  values?: readonly string[];
  help: string;
}

export const OPTIONS: readonly OptionSpec[] = [
  { key: 'host', type: 'string', help: 'interface to bind (HTTP and DICOM)' },
  { key: 'publicUrl', type: 'string', help: 'base URL clients use to reach this server' },
  { key: 'httpPort', type: 'port', help: 'HTTP port (DICOMweb, FHIR, API)' },
  { key: 'dicomPort', type: 'port', help: 'DICOM DIMSE port' },
  { key: 'dataDir', type: 'string', help: 'folder for the index database and stored files' },
  {
    key: 'database',
    type: 'string',
    help: 'postgres://USER@HOST/DB: FHIR, audit, security and sources stores in PostgreSQL (default: embedded)',
  },
  {
    key: 'blobStore',
    type: 'string',
    help: 'file:DIR or s3://BUCKET/PREFIX: where instance bytes go (default: the data dir)',
  },
  { key: 'auth', type: 'enum', values: ['none', 'smart'], help: 'authorization mode' },
  {
    key: 'duplicatePolicy',
    type: 'enum',
    values: ['reject', 'keep-newest'],
    help: 'same SOP Instance UID, different content',
  },
  { key: 'bulkDataThreshold', type: 'int', help: 'binary values above this many bytes become BulkDataURI' },
  { key: 'maxQidoResults', type: 'int', help: 'cap on QIDO-RS results per request (0 = none; answers are streamed)' },
  {
    key: 'logLevel',
    type: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    help: 'log level',
  },
  { key: 'minFreeBytes', type: 'int', help: 'refuse new instances when the volume has less free space (bytes)' },
  { key: 'dicomAet', type: 'string', help: 'our DICOM AE title' },
  { key: 'demo', type: 'boolean', help: 'load the synthetic demo dataset (idempotent)' },
  { key: 'tlsCert', type: 'string', help: 'HTTPS certificate (PEM file); with --tls-key' },
  { key: 'tlsKey', type: 'string', help: 'HTTPS private key (PEM file); with --tls-cert' },
  {
    key: 'auditKeyFile',
    type: 'string',
    help: 'audit chain HMAC key file, outside the data dir (default <data-dir>.audit-key)',
  },
  { key: 'tokenLifetime', type: 'int', help: 'lifetime of issued access tokens in seconds' },
  {
    key: 'encryptionKeyFile',
    type: 'string',
    help: 'encrypt data at rest with the key(s) in this file (outside the data dir, mode 0600)',
  },
  {
    key: 'requestTimeout',
    type: 'int',
    help: 'seconds an authenticated request (upload) may take to arrive; 0 = unlimited',
  },
  {
    key: 'publicRequestTimeout',
    type: 'int',
    help: 'seconds for headers, and for public/unauthenticated bodies, to arrive',
  },
  {
    key: 'renderThreads',
    type: 'int',
    help: 'image rendering worker threads (0 = one per core but one, at least 1, at most 2)',
  },
  { key: 'renderQueue', type: 'int', help: 'frames waiting for a render thread before 503' },
  { key: 'thumbnailCacheBytes', type: 'int', help: 'memory for cached thumbnails (bytes)' },
];

export const DEFAULTS: Omit<Config, 'publicUrl' | 'sections' | 'blobs'> & { publicUrl: string | undefined } = {
  host: '127.0.0.1',
  httpPort: 8080,
  dicomPort: 11112,
  publicUrl: undefined,
  dataDir: './data',
  database: undefined,
  blobStore: undefined,
  // Secure by default: `--auth none` is an explicit, loopback-only switch for evaluation.
  auth: 'smart',
  duplicatePolicy: 'reject',
  bulkDataThreshold: 1024,
  maxQidoResults: 0,
  logLevel: 'info',
  minFreeBytes: 64 * 1024 * 1024,
  dicomAet: 'IMGBRIDGE',
  demo: false,
  tlsCert: undefined,
  tlsKey: undefined,
  auditKeyFile: undefined,
  tokenLifetime: 300,
  encryptionKeyFile: undefined,
  encryptionKey: undefined,
  requestTimeout: 900,
  publicRequestTimeout: 10,
  renderThreads: 0,
  renderQueue: 64,
  thumbnailCacheBytes: 64 * 1024 * 1024,
};

/** `publicUrl` → `--public-url`, `PUBLIC_URL`. */
export function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
export const envName = (key: string) => `IMAGING_BRIDGE_${kebab(key).replace(/-/g, '_').toUpperCase()}`;
