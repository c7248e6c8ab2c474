import type Database from 'better-sqlite3';

/**
 * How much of its database each kind of SQLite connection may keep in its page cache, in KiB
 * (`PRAGMA cache_size = -KiB`). The cache is malloc'd memory that stays in the process's RSS once
 * filled; better-sqlite3's own default (built with SQLITE_DEFAULT_CACHE_SIZE=-16000) would give
 * every connection up to 16 MB. Pages the cache drops are read again from the OS page cache (a
 * `pread`, microseconds), so a cache larger than the pages a statement touches buys little.
 * Measured under P3 (10,000 C-STOREs): the index's 64 MB cache filled with the index and
 * fhir.sqlite's 16 MB with the FHIR store (docs/ingest-memory.md, session 16). Halved again in
 * session 21 (index 16 → 8 MB, fhir.sqlite 8 → 4 MB): ≈ −12 MB of P3's peak with no main-thread
 * CPU per C-STORE visible in A/B pairs (docs/ingest-memory.md, "P3 peak (session 21)").
 */
export const PAGE_CACHE_KIB = {
  /** The archive index (and the stores beside it in index.sqlite), the server's connection. */
  archiveIndex: 8 * 1024,
  /** fhir.sqlite, a connection that serves reads and writes (the server's, the bridge thread's). */
  fhirStore: 4 * 1024,
  /**
   * A connection that mostly appends or reads a little: the audit chain's writer and reader, the
   * audit projection's copy into fhir.sqlite, the bridge thread's index connection.
   */
  side: 2 * 1024,
} as const;

/** Bounds the connection's page cache to `kib` KiB. */
export function boundPageCache(db: Database.Database, kib: number): void {
  if (!Number.isSafeInteger(kib) || kib <= 0)
    throw new RangeError(`page cache must be a positive KiB count, got ${kib}`);
  db.pragma(`cache_size = -${kib}`);
}
