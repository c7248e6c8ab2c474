import type { SqliteKeys } from '../core/sqlite-open.js';
import type { NewRecord } from './chain-store.js';

/** What the main thread hands the writer thread (`chain-worker.ts`) when it starts. */
export interface ChainWorkerData {
  /** `<dataDir>/audit.sqlite`. */
  file: string;
  key: Uint8Array;
  /** `<keyFile>.checkpoint`. */
  checkpointFile: string;
  /** audit.sqlite is encrypted at rest with one of these keys. */
  sqliteKeys?: SqliteKeys;
}

export type ToWorker =
  /** Append these records (in this order) after everything sent before. */
  | { type: 'append'; batch: number; records: NewRecord[] }
  /** The FHIR copy has caught up to `upto` (stored with the next commit). */
  | { type: 'projected'; target: string; upto: number }
  /** Finish what was sent, close the database, answer `closed`. */
  | { type: 'close' };

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
}

/** Per record of a batch, in order: where it went in the chain, or why it was refused. */
export type AppendResult = { seq: number; prevHash: string; hash: string } | { error: SerializedError };

export type FromWorker =
  /** The batch is committed (fsynced), or some of its records were refused. */
  | { type: 'appended'; batch: number; results: AppendResult[] }
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
