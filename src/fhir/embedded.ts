import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { parseFhirConfig } from './config.js';
import { SearchParamRegistry } from './definitions/search-params.js';
import { ObservedRepository, type WriteEvent, type WriteListener } from './repository/observed-repository.js';
import type { FhirRepository } from './repository/repository.js';
import type { FhirRouter, FhirRouterOptions } from './rest/router.js';
import { SqliteFhirRepository } from './sqlite/sqlite-repository.js';
import { WriteWaiters } from './sqlite/write-waiters.js';
import type { FhirResource } from './types.js';
import type { SqliteKeys } from '../core/sqlite-open.js';
import { OperationOutcomeError } from '../core/errors.js';
import { PgFhirRepository } from './postgres/pg-repository.js';
import { SchemaTooNewError } from '../core/postgres/migrations.js';
import { redactUrl } from '../core/postgres/pool.js';
import { baseOf, routerFor } from './store-connections.js';

// The second connections of worker threads, in a file of their own: a thread loads only that.
export {
  openFhirReadReplica,
  openFhirStoreWriter,
  type FhirReadReplica,
  type FhirStoreWriter,
} from './store-connections.js';

export interface EmbeddedFhir {
  router: FhirRouter;
  repository: FhirRepository;
  /** Search parameter definitions (scope suffixes and compartments are judged with them). */
  registry: SearchParamRegistry;
  /** Told of every committed write (Subscription notifications); returns the removal. */
  onWrite(listener: WriteListener): () => void;
  /** Writes another connection to the store committed (a worker thread's): told to the onWrite listeners. */
  announce(events: WriteEvent[]): void;
  /** The SQLite connection underneath (for the WAL checkpointer); none on PostgreSQL. */
  db?: Database.Database;
  /** The SQLite connection's writes waiting for the write lock, shared with the audit projection thread. */
  writeWaiters?: WriteWaiters;
  /** The current version of a resource (undefined when missing or deleted): at once on SQLite, a promise on PostgreSQL. */
  current(resourceType: string, id: string): FhirResource | undefined | Promise<FhirResource | undefined>;
  close(): void | Promise<void>;
}

export interface EmbeddedFhirOptions {
  dataDir: string;
  /** The service's public URL; the FHIR base is `${publicUrl}/fhir`. */
  publicUrl: string;
  /** `sections.fhir` of the config file, validated here. */
  section: unknown;
  version?: string;
  onError?: (error: unknown) => void;
  /** Server-side changes to resources about to be stored (FhirRouterOptions.beforeWrite). */
  beforeWrite?: FhirRouterOptions['beforeWrite'];
  /** Server-side changes to resources in every response (FhirRouterOptions.beforeSend). */
  beforeSend?: FhirRouterOptions['beforeSend'];
  /** fhir.sqlite is encrypted at rest with one of these keys. */
  sqliteKeys?: SqliteKeys;
}

/**
 * The FHIR R4 server with its store: in PostgreSQL when `database` (a postgres:// URL) is given
 * (docs/postgresql.md), else the embedded SQLite store (openEmbeddedFhir).
 */
export async function openFhirServer(options: EmbeddedFhirOptions & { database?: string }): Promise<EmbeddedFhir> {
  if (options.database === undefined) return openEmbeddedFhir(options);
  const registry = new SearchParamRegistry();
  const baseUrl = baseOf(options.publicUrl);
  const pg = await PgFhirRepository.open(options.database, { registry, baseUrl }).catch((e: Error) => {
    if (e instanceof SchemaTooNewError) throw e;
    throw new Error(`cannot open the FHIR store in PostgreSQL at ${redactUrl(options.database!)}: ${e.message}`, {
      cause: e,
    });
  });
  const repository = new ObservedRepository(pg);
  return {
    router: routerFor(repository, registry, baseUrl, options),
    repository,
    registry,
    onWrite: (listener) => repository.onWrite(listener),
    announce: (events) => repository.announce(events),
    current: (type, id) => pg.read(type, id).catch((e: unknown) => (isAbsent(e) ? undefined : Promise.reject(e))),
    close: () => pg.close(),
  };
}

const isAbsent = (e: unknown) => e instanceof OperationOutcomeError && (e.status === 404 || e.status === 410);

/** The embedded FHIR R4 server: its SQLite repository in `<dataDir>/fhir.sqlite` and its router. */
export function openEmbeddedFhir(options: EmbeddedFhirOptions): EmbeddedFhir {
  const registry = new SearchParamRegistry();
  const baseUrl = baseOf(options.publicUrl);
  const config = parseFhirConfig(options.section);
  const writeWaiters = new WriteWaiters();
  const sqlite = new SqliteFhirRepository(join(options.dataDir, 'fhir.sqlite'), {
    registry,
    baseUrl,
    keys: options.sqliteKeys,
    writeLockWaitMs: config.server.writeLockWaitMs,
    writeWaiters,
  });
  const repository = new ObservedRepository(sqlite);
  const router = routerFor(repository, registry, baseUrl, options);
  const currentJson = sqlite.db.prepare('SELECT json FROM resources WHERE type = ? AND id = ? AND deleted = 0');
  const current = (type: string, id: string): FhirResource | undefined => {
    const row = currentJson.get(type, id) as { json: string } | undefined;
    return row ? (JSON.parse(row.json) as FhirResource) : undefined;
  };
  return {
    router,
    repository,
    registry,
    onWrite: (listener) => repository.onWrite(listener),
    announce: (events) => repository.announce(events),
    db: sqlite.db,
    writeWaiters,
    current,
    close: () => sqlite.close(),
  };
}
