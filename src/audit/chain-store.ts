import type Database from 'better-sqlite3';
import { openSqlite, type SqliteKeys } from '../core/sqlite-open.js';
import { boundPageCache, PAGE_CACHE_KIB } from '../core/sqlite-cache.js';
import type { ChainRecord } from './types.js';
import { type ChainRow, toChainRecord } from './chain-row.js';
import { GENESIS_HASH, chainHash } from './chain-hash.js';
import { privateSqlite } from '../core/private-files.js';
import type { NewRecord } from './chain-store-contract.js';

export type { NewRecord } from './chain-store-contract.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS audit_record (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  recorded TEXT NOT NULL,
  json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_record_no_update BEFORE UPDATE ON audit_record
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_record_no_delete BEFORE DELETE ON audit_record
  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
CREATE TABLE IF NOT EXISTS audit_projection (
  target TEXT PRIMARY KEY,
  upto INTEGER NOT NULL
);
`;

/**
 * The audit chain in its own SQLite file (synchronous; `chain-store-sqlite.ts` gives it the
 * shared asynchronous `AuditChainStore` interface) (WAL, synchronous=FULL): an append-only table where
 * each row's hash covers the previous row's hash. Also keeps, apart from the chain, how far
 * each projection (the FHIR repository) has caught up.
 *
 * A server opens it twice: read-write in the writer thread (`chain-worker.ts`, the only one
 * that appends), read-only on the main thread (verify, FHIR catch-up).
 */
export class ChainStore {
  readonly db: Database.Database;
  private readonly appendTx: ((records: NewRecord[], key: Buffer) => ChainRecord[]) | undefined;
  private readonly hashAtSeq: Database.Statement;

  /**
   * `mustExist`: never create the file. `readonly`: a read-only connection (the file must exist
   * and hold the schema); append() and setProjectedUpTo() then throw.
   */
  constructor(
    file: string,
    options: { mustExist?: boolean; readonly?: boolean; keys?: SqliteKeys; busyTimeoutMs?: number } = {},
  ) {
    this.db = openSqlite(file, options.keys, {
      fileMustExist: (options.mustExist ?? false) || (options.readonly ?? false),
      readonly: options.readonly ?? false,
    });
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    // Appends, and reads in seq order: a small cache (core/sqlite-cache.ts).
    boundPageCache(this.db, PAGE_CACHE_KIB.side);
    if (!options.readonly) {
      this.db.pragma('journal_mode = WAL');
      privateSqlite(file);
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
    }
    this.hashAtSeq = this.db.prepare('SELECT hash FROM audit_record WHERE seq = ?').pluck();
    if (options.readonly) return;
    const insert = this.db.prepare(
      'INSERT INTO audit_record (seq, id, recorded, json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const head = this.db.prepare('SELECT seq, hash FROM audit_record ORDER BY seq DESC LIMIT 1');
    const tx = this.db.transaction((records: NewRecord[], key: Buffer) => {
      // The head is read inside the (immediate) transaction: a second writer cannot fork the chain.
      const top = head.get() as { seq: number; hash: string } | undefined;
      let seq = top?.seq ?? 0;
      let prevHash = top?.hash ?? GENESIS_HASH;
      return records.map((r) => {
        seq += 1;
        const hash = chainHash(key, prevHash, r.json);
        insert.run(seq, r.id, r.recorded, r.json, prevHash, hash);
        const stored = { seq, id: r.id, recorded: r.recorded, json: r.json, prevHash, hash };
        prevHash = hash;
        return stored;
      });
    });
    this.appendTx = (records, key) => tx.immediate(records, key);
  }

  /** Appends in one transaction (one fsync); returns the stored records in chain order. */
  append(records: NewRecord[], key: Buffer): ChainRecord[] {
    if (!this.appendTx) throw new Error('the audit chain is open read-only');
    return this.appendTx(records, key);
  }

  /** The hash of record `seq`, or undefined when there is no such record. */
  hashAt(seq: number): string | undefined {
    return this.hashAtSeq.get(seq) as string | undefined;
  }

  /** The last record's seq and hash, or undefined when the chain is empty. */
  head(): { seq: number; hash: string } | undefined {
    return this.db.prepare('SELECT seq, hash FROM audit_record ORDER BY seq DESC LIMIT 1').get() as
      | { seq: number; hash: string }
      | undefined;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM audit_record').get() as { n: number }).n;
  }

  /** Records with seq > `after`, in order, `limit` at a time. */
  *iterate(after = 0, batch = 1000): Generator<ChainRecord> {
    const page = this.db.prepare(
      'SELECT seq, id, recorded, json, prev_hash, hash FROM audit_record WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    for (;;) {
      const rows = page.all(after, batch) as ChainRow[];
      for (const r of rows) yield toChainRecord(r);
      if (rows.length < batch) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  projectedUpTo(target: string): number {
    const row = this.db.prepare('SELECT upto FROM audit_projection WHERE target = ?').get(target) as
      | { upto: number }
      | undefined;
    return row?.upto ?? 0;
  }

  setProjectedUpTo(target: string, upto: number): void {
    this.db
      .prepare(
        'INSERT INTO audit_projection (target, upto) VALUES (?, ?) ON CONFLICT (target) DO UPDATE SET upto = max(upto, excluded.upto)',
      )
      .run(target, upto);
  }

  /**
   * setProjectedUpTo without waiting for another connection's lock: false (nothing written) when
   * the file is locked. The writer thread's marker is worth no wait: appends queued behind it would
   * stall for the whole busy timeout (it is written again at the next drain or at close).
   */
  trySetProjectedUpTo(target: string, upto: number): boolean {
    const wait = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.setProjectedUpTo(target, upto);
      return true;
    } catch (e) {
      if (!worthRetryingAlone(e)) return false;
      throw e;
    } finally {
      this.db.pragma(`busy_timeout = ${wait}`);
    }
  }

  close(): void {
    this.db.close();
  }
}

/**
 * Whether a failed append of several entries is worth appending entry by entry: not when the
 * file was locked (busy or locked), since each entry would wait out the busy timeout again with
 * the writer thread stalled, and fail alike.
 */
export function worthRetryingAlone(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return !(typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')));
}
