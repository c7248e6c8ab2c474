/**
 * The embedded store's second connections for worker threads (a read replica, a writer) and the
 * router over a store. Apart from embedded.ts (the server's store, SQLite or PostgreSQL) so that
 * a thread loads only these and not the PostgreSQL store.
 */
import type Database from 'better-sqlite3';
import type { SqliteKeys } from '../core/sqlite-open.js';
import { parseFhirConfig } from './config.js';
import { SearchParamRegistry } from './definitions/search-params.js';
import { ObservedRepository, type WriteListener } from './repository/observed-repository.js';
import type { FhirRepository } from './repository/repository.js';
import { FhirRouter, type FhirRouterOptions } from './rest/router.js';
import { SqliteFhirRepository } from './sqlite/sqlite-repository.js';

export const baseOf = (publicUrl: string) => `${publicUrl.replace(/\/+$/, '')}/fhir`;

export interface RouterOptions {
  /** `sections.fhir` of the config file, validated here. */
  section: unknown;
  version?: string;
  onError?: (error: unknown) => void;
  beforeWrite?: FhirRouterOptions['beforeWrite'];
  beforeSend?: FhirRouterOptions['beforeSend'];
}

/** The router over a store, configured by `sections.fhir` (validated here). */
export function routerFor(
  repository: FhirRepository,
  registry: SearchParamRegistry,
  baseUrl: string,
  options: RouterOptions,
): FhirRouter {
  const config = parseFhirConfig(options.section);
  return new FhirRouter({
    repo: repository,
    registry,
    baseUrl,
    defaultCount: config.server.defaultCount,
    maxCount: config.server.maxCount,
    batchLimits: {
      maxBatchEntries: config.server.maxBatchEntries,
      maxTransactionEntries: config.server.maxTransactionEntries,
      maxBatchCount: config.server.maxBatchCount,
    },
    version: options.version,
    onError: options.onError,
    beforeWrite: options.beforeWrite,
    beforeSend: options.beforeSend,
  });
}

export interface FhirReadReplica {
  /** searchLocal / readLocal over the read-only connection (the writes of handle() fail: read only). */
  router: FhirRouter;
  registry: SearchParamRegistry;
  close(): void;
}

/**
 * A second, read-only connection to the embedded store's `fhir.sqlite` with a router over it, for
 * a worker thread that reads while the server's connection writes (WAL: readers see every commit
 * made before their read began, and never block the writer).
 */
export function openFhirReadReplica(options: {
  file: string;
  publicUrl: string;
  section: unknown;
  sqliteKeys?: SqliteKeys;
}): FhirReadReplica {
  const registry = new SearchParamRegistry();
  const baseUrl = baseOf(options.publicUrl);
  const sqlite = new SqliteFhirRepository(options.file, {
    registry,
    baseUrl,
    keys: options.sqliteKeys,
    readOnly: true,
  });
  const router = routerFor(sqlite, registry, baseUrl, {
    section: options.section,
  });
  return { router, registry, close: () => sqlite.close() };
}

export interface FhirStoreWriter {
  /** The router over the second connection (in-process requests of the thread that opened it). */
  router: FhirRouter;
  db: Database.Database;
  close(): void;
}

/**
 * A second writing connection to the embedded store's `fhir.sqlite` with a router over it, for a
 * worker thread that writes (the bridge's sync thread): its commits take the store's write lock
 * as the server's do (write-lock.ts), and each committed write is handed to `onWrite`, for the
 * thread to forward to the server's listeners (EmbeddedFhir.announce). No beforeWrite: the
 * thread's writes carry no principal (study-claims.ts does not check them) and no Subscription.
 */
export function openFhirStoreWriter(options: {
  file: string;
  publicUrl: string;
  section: unknown;
  sqliteKeys?: SqliteKeys;
  onWrite: WriteListener;
}): FhirStoreWriter {
  const registry = new SearchParamRegistry();
  const baseUrl = baseOf(options.publicUrl);
  const config = parseFhirConfig(options.section);
  const sqlite = new SqliteFhirRepository(options.file, {
    registry,
    baseUrl,
    keys: options.sqliteKeys,
    writeLockWaitMs: config.server.writeLockWaitMs,
  });
  const repository = new ObservedRepository(sqlite);
  repository.onWrite(options.onWrite);
  const router = routerFor(repository, registry, baseUrl, {
    section: options.section,
  });
  return { router, db: sqlite.db, close: () => sqlite.close() };
}
