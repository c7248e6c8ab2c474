import type { ChainRecord } from './types.js';

/** A record to append: its hash and seq are given by the store. */
export interface NewRecord {
  id: string;
  recorded: string;
  json: string;
}

/**
 * The audit chain as every backend keeps it: an append-only sequence of records, each hash
 * covering the previous one (chain-hash.ts), plus how far each projection (the FHIR copy) has
 * caught up. Implementations: SQLite (`chain-store-sqlite.ts`, the embedded default, appended to
 * by the writer thread) and PostgreSQL (`chain-store-pg.ts`, one chain shared by every instance).
 * One suite (`chain-store-suite.ts`) runs against both.
 *
 * Error contract: append() is all or nothing — a record whose id is already in the chain fails
 * the whole call (nothing of it is stored) with an error whose `code` is `DUPLICATE_ID`; a store
 * opened read-only throws on append() and setProjectedUpTo().
 */
export interface AuditChainStore {
  /**
   * Appends after the current head in one transaction, durable (committed and flushed) when it
   * resolves; returns the stored records in chain order. Appends from several callers — or, on
   * PostgreSQL, several processes — are serialised: the chain never forks.
   */
  append(records: readonly NewRecord[], key: Buffer): Promise<ChainRecord[]>;
  /** The hash of record `seq`, or undefined when there is no such record. */
  hashAt(seq: number): Promise<string | undefined>;
  /** The last record's seq and hash, or undefined when the chain is empty. */
  head(): Promise<{ seq: number; hash: string } | undefined>;
  count(): Promise<number>;
  /** Records with seq > `after`, in chain order, read `batch` at a time. */
  iterate(after?: number, batch?: number): AsyncIterable<ChainRecord>;
  /** How far `target`'s copy has caught up (0: nothing copied). */
  projectedUpTo(target: string): Promise<number>;
  /** Moves `target`'s watermark to `upto`; never backwards. */
  setProjectedUpTo(target: string, upto: number): Promise<void>;
  close(): Promise<void>;
}

/** Thrown by append() when a record's id is already in the chain. */
export class DuplicateAuditIdError extends Error {
  readonly code = 'DUPLICATE_ID';
  constructor(id: string | undefined, options?: ErrorOptions) {
    super(`audit record id ${id ?? '(unknown)'} is already in the chain`, options);
    this.name = 'DuplicateAuditIdError';
  }
}
