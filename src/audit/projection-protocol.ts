import type { SqliteKeys } from '../core/sqlite-open.js';
import type { R4Definitions } from '../fhir/definitions/load-r4.js';
import type { SerializedError } from './chain-protocol.js';
import type { ProjectionOptions } from './fhir-projection.js';
import type { ChainRecord } from './types.js';

/** What the projection thread (`projection-worker.ts`) is started with. */
export interface ProjectionWorkerData {
  /** `<dataDir>/audit.sqlite`, read-only here. */
  auditFile: string;
  auditKeys?: SqliteKeys;
  /** The embedded FHIR server's `<dataDir>/fhir.sqlite`. */
  fhirFile: string;
  fhirKeys?: SqliteKeys;
  /** The FHIR base URL (references under it are indexed as local). */
  baseUrl: string;
  /** AuditEvent's search parameters (the thread indexes nothing else; all of R4 would cost ~150 MB there). */
  definitions: Pick<R4Definitions, 'resourceTypes' | 'searchParameters'>;
  options?: ProjectionOptions;
  /**
   * The buffer of the server connection's WriteWaiters (fhir/sqlite/write-waiters.ts): each slice
   * of copies waits (bounded) while a write of the server waits for the lock.
   */
  writeWaiters?: SharedArrayBuffer;
}

export type ToProjection =
  /** Committed chain records, in chain order. */
  | { type: 'add'; records: ChainRecord[] }
  /** Write what waits, close the connections, answer `closed`. */
  | { type: 'close' };

export type FromProjection =
  /** The copy has caught up to `upto`: the main thread hands the watermark to the chain writer. */
  | { type: 'projected'; target: string; upto: number }
  | { type: 'caught-up'; copied: number; error?: SerializedError }
  | { type: 'log'; message: string; fields: Record<string, unknown>; err?: SerializedError }
  | { type: 'closed' };
