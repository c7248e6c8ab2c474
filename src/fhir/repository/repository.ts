import type { SearchRequest } from '../search/search-request.js';
import type { AnyResource, FhirResource, ResourceOf } from '../types.js';

/**
 * Storage of FHIR resources with versions. Implementations keep every version, set
 * meta.versionId and meta.lastUpdated, and index search values at write time. Errors are
 * OperationOutcomeErrors (404 unknown, 410 deleted, 412 stale version, 409 id taken).
 */
export interface FhirRepository {
  /** Stores a new resource; its id is assigned unless `keepId` (used for transaction placeholders). */
  create<T extends AnyResource>(resource: T, options?: { keepId?: boolean }): Promise<T & FhirResource>;
  /**
   * Stores each resource under the id it carries, as create with keepId does, in one step where
   * the store takes several at once (PostgreSQL: one statement for all, not one round trip each).
   * Per resource, in order: the stored version, or undefined where the id was taken (create would
   * answer 409; nothing is written for that one, the others are). Absent: create one by one.
   */
  createMany?(resources: readonly FhirResource[]): Promise<(FhirResource | undefined)[]>;
  /** Typed by a literal type name (`read('Patient', id)`: a Patient); open JSON for a type known only at run time. */
  read<K extends string>(resourceType: K, id: string): Promise<ResourceOf<K>>;
  vread<K extends string>(resourceType: K, id: string, versionId: string): Promise<ResourceOf<K>>;
  /** Update, or create with the given id when there is none (update-as-create). */
  update<T extends AnyResource>(
    resource: T,
    options?: WriteOptions,
  ): Promise<{ resource: T & FhirResource; created: boolean }>;
  /** Deleting what does not exist or is already deleted succeeds (idempotent). */
  delete(resourceType: string, id: string, options?: WriteOptions): Promise<void>;
  history(scope: HistoryScope, options: HistoryOptions): Promise<HistoryPage>;
  search(request: SearchRequest): Promise<SearchResult>;
  /**
   * The page of each search (SearchResult.resources, in order; no totals, nothing included), in
   * one step where the store takes several at once (PostgreSQL: one statement for all, not one
   * round trip each). Absent: search one by one.
   */
  searchMany?(requests: readonly SearchRequest[]): Promise<FhirResource[][]>;
  /** Runs `fn` with a repository whose writes all commit together, or none do. */
  transaction<T>(fn: (tx: FhirRepository) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Makes every commit made so far durable (those of `durable: false` transactions too). */
  flush(): Promise<void>;
  /**
   * Inside a transaction: waits until no other transaction holds `key`, then holds it until this
   * one ends, so a conditional create's search and its insert are one step for every process on
   * the store (two instances on one PostgreSQL database would otherwise both find nothing and
   * both create). Absent where writers already take turns (SQLite: one write transaction at a time).
   * Several keys are taken one after the other in the order given (one round trip on PostgreSQL);
   * callers taking several give them in one order (sorted), so that no two transactions deadlock.
   */
  exclusive?(key: string | readonly string[]): Promise<void>;
}

export interface TransactionOptions {
  /**
   * false: the commit may be lost by a power cut or an OS crash until the next flush() or durable
   * commit (never half of it, and never one without the commits before it). For copies that can
   * be rebuilt from elsewhere, such as the audit chain's searchable AuditEvents. Default true.
   */
  durable?: boolean;
}

export interface WriteOptions {
  /** The versionId the caller last saw (If-Match); a different current version → 412. */
  ifMatch?: string;
  /** Recorded in history (PUT or PATCH). */
  method?: 'PUT' | 'PATCH';
}

export interface HistoryScope {
  resourceType?: string;
  id?: string;
}

export interface HistoryOptions {
  count: number;
  offset: number;
  /** Only versions written at or after this time (epoch ms). */
  since?: number;
}

export interface HistoryEntry {
  resourceType: string;
  id: string;
  versionId: string;
  lastUpdated: string;
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absent for a deletion. */
  resource?: FhirResource;
}

export interface HistoryPage {
  entries: HistoryEntry[];
  total: number;
}

export interface SearchResult {
  resources: FhirResource[];
  total?: number;
  /** Resources added by _include and _revinclude. */
  included: FhirResource[];
}

export const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
