import type { ResultRow } from './render-dataset.js';
import type { ChunkBounds } from './search-sql.js';
import type { SearchPlan } from './search-plan.js';

/**
 * The database side of a QIDO-RS search (and of C-FIND, which uses the same service): it
 * compiles a SearchPlan into its own query language (query/dialect.ts). SQLite:
 * sqlite/sqlite-qido.ts; PostgreSQL: postgres/pg-qido.ts.
 */
export interface QidoBackend {
  /** Compiles the matching keys; a key it cannot match is a QueryError, thrown here before anything is sent. */
  prepare(search: SearchPlan): PreparedSearch;
  /**
   * The same search with each result written as DICOM JSON text by the database
   * (render-sql.ts), RetrieveURL under `dicomWebBase`; undefined when its results return
   * stored JSON, or when the backend leaves rendering to us (PostgreSQL): then they are
   * rendered from prepare's rows. Call after prepare (which checks the keys).
   */
  prepareText(search: SearchPlan, dicomWebBase: string): PreparedSearchText | undefined;
}

/**
 * A compiled search, run one bounded chunk at a time (no cursor stays open between chunks).
 * Rows carry the columns of the return plan under aliasOf(tag), the stored JSON under
 * SOURCE_ALIAS, and their primary key under PK_ALIAS, in primary key order.
 */
export interface PreparedSearch {
  rows(bounds: ChunkBounds): Promise<ResultRow[]>;
  /**
   * The same rows as arrays of their values in resultColumns order (search-sql.ts), when the
   * driver reads them so more cheaply than as objects (PostgreSQL); the text answer then uses it.
   * A value may come as its text (a number as its digits) and NULL as '': the text writer
   * (render-text.ts) writes them alike.
   */
  tuples?(bounds: ChunkBounds): Promise<unknown[][]>;
}

/** A result as the database wrote it: its DICOM JSON text, then its primary key. */
export type TextRow = [json: string, pk: number];

/** A compiled search whose results come as text, a bounded chunk at a time, in primary key order. */
export interface PreparedSearchText {
  rows(bounds: ChunkBounds): Promise<TextRow[]>;
}
