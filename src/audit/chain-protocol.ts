import type { SqliteKeys } from '../core/sqlite-open.js';
import type { AccessRecord } from './balp/access-record.js';
import type { NewRecord } from './chain-store-contract.js';
import type { AuditEvent, ChainRecord } from './types.js';

/** What the main thread hands the writer thread (`chain-worker.ts`) when it starts. */
export interface ChainWorkerData {
  /** `<dataDir>/audit.sqlite`. */
  file: string;
  key: Uint8Array;
  /** `<keyFile>.checkpoint`. */
  checkpointFile: string;
  /** audit.sqlite is encrypted at rest with one of these keys. */
  sqliteKeys?: SqliteKeys;
  /** How long a commit waits for another process's lock on audit.sqlite (default 5 s, ChainStore's). */
  busyTimeoutMs?: number;
}

export type ToWorker =
  /** Build the records of these entries and append them (in this order) after everything sent before. */
  | { type: 'append'; batch: number; entries: AuditEntry[] }
  /** The FHIR copy has caught up to `upto` (stored with the next commit). */
  | { type: 'projected'; target: string; upto: number }
  /** Finish what was sent, close the database, answer `closed`. */
  | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

/**
 * Per entry of a batch, in order: its records as stored (the canonical text the listeners need,
 * seq and hashes), or why none of them was stored.
 */
export type EntryResult = { records: ChainRecord[] } | { error: SerializedError };

export type FromWorker =
  /** The batch is committed (fsynced), or some of its entries were refused. */
  | { type: 'appended'; batch: number; results: EntryResult[] }
  /** Something the operator must see (a truncated chain, a checkpoint that cannot be written). */
  | { type: 'alarm'; message: string; detail?: SerializedError }
  | { type: 'closed' };

export const serializeError = (e: unknown): SerializedError => {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
};

export const deserializeError = (s: SerializedError): Error =>
  Object.assign(new Error(s.message), { name: s.name }, s.code ? { code: s.code } : {});

/**
 * What the main thread hands the chain writer for one record()/recordAll()/recordAccess() call:
 * a compact description, copied to the writer thread by structured clone (native code), which
 * builds the BALP events, gives them ids and writes their canonical text there, off the event
 * loop. The records of one entry are stored together or not at all.
 */
export type AuditEntry =
  /** The facts of one access: the writer builds its BALP events (balp/build.ts). */
  | { access: AccessRecord }
  /** Events built by the caller. */
  | { events: readonly AuditEvent[] }
  /** Records already built (an entry that could not be copied to the thread as it was). */
  | { records: NewRecord[] }
  /** An entry that could not be built: it fails alone, in its place in the batch. */
  | { refused: SerializedError };
