/**
 * The bridge's own writes to the archive database (findings, quarantine holds, outbox
 * completion, the record of each sync), collected during a sync pass and committed together
 * at its end: one commit for a whole batch of studies instead of three or four per study.
 *
 * The commit runs with synchronous=NORMAL (restored right after; better-sqlite3 is synchronous,
 * so no archive write runs in between): in WAL mode it is not fsynced itself, it becomes
 * durable with the archive's next fsynced commit or checkpoint. WAL frames are replayed in
 * order up to the last valid commit, so a power loss can only drop the newest of these
 * commits, never one before a later durable archive commit. Everything they hold can be
 * derived again: an outbox row whose completion was lost is simply synced once more (the
 * ImagingStudy is found unchanged, nothing is written to FHIR), and that sync records the
 * findings, the hold and the sync record again. What must survive a crash — the outbox row of
 * every acknowledged instance — is written by the archive in the instance's own (fsynced)
 * transaction and is not touched here until its FHIR write has committed.
 */
import type { Database } from 'better-sqlite3';
import type { Awaitable } from './awaitable.js';

export type JournalLog = (err: unknown, ops: number) => void;

/**
 * The bridge's own writes (findings, holds, outbox completion, sync records) collected during a
 * pass and committed together at its end, not synced on their own: all of it can be derived
 * again by syncing once more (see above). An op is a call of the same database's bridge stores:
 * WriteJournal (SQLite) runs them in one synchronous transaction; PgWriteJournal (PostgreSQL)
 * in one transaction its stores join (src/bridge/postgres/pg-bridge-db.ts) and returns a
 * promise. Shared suite: write-journal-suite.ts.
 */
export interface BridgeWriteJournal {
  readonly pending: number;
  add(op: () => Awaitable<void>): void;
  /** Commits what was collected; a failing write is tried alone, reported and dropped. */
  flush(): Awaitable<void>;
}

/** No journal: the pass's writes run one after the other at its end, each on its own; a failing one does not stop the rest. */
export function eachOnItsOwn(): Pick<BridgeWriteJournal, 'add' | 'flush'> {
  let ops: (() => unknown)[] = [];
  return {
    add: (op) => void ops.push(op),
    flush: async () => {
      const run = ops;
      ops = [];
      let failed: unknown;
      for (const op of run) {
        try {
          await op();
        } catch (e) {
          failed ??= e;
        }
      }
      if (failed !== undefined) throw failed;
    },
  };
}

export class WriteJournal implements BridgeWriteJournal {
  private ops: (() => void)[] = [];

  /** `relaxed`: commit with synchronous=NORMAL (see above); false keeps the connection's setting. */
  constructor(
    private readonly db: Database,
    private readonly options: { relaxed?: boolean; onError?: JournalLog } = {},
  ) {}

  get pending(): number {
    return this.ops.length;
  }

  add(op: () => void): void {
    this.ops.push(op);
  }

  /**
   * Commits everything collected so far in one transaction. When that fails, each write is
   * tried on its own, so one bad write does not hold back the others (a write that fails
   * again is reported and dropped: what it recorded is derived again by the next sync).
   */
  flush(): void {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    try {
      this.commit(() => {
        for (const op of ops) op();
      });
    } catch (e) {
      this.options.onError?.(e, ops.length);
      for (const op of ops) {
        try {
          this.commit(op);
        } catch (err) {
          this.options.onError?.(err, 1);
        }
      }
    }
  }

  /**
   * BEGIN IMMEDIATE: the commit takes the write lock before its first read. Deferred, a pass's
   * read (a SELECT before its write) would pin a snapshot, and a commit of another connection
   * in between (the server's ingest beside the bridge's own thread, bridge-thread-worker.ts)
   * would make the first write fail at once with SQLITE_BUSY_SNAPSHOT — busy_timeout does not
   * help there. Immediate, the other writer waits (its busy_timeout) for this short commit.
   */
  private commit(fn: () => void): void {
    const tx = this.db.transaction(fn).immediate;
    if (!this.options.relaxed || this.db.inTransaction) return tx();
    const before = this.db.pragma('synchronous', { simple: true }) as number;
    if (before <= 1) return tx();
    this.db.pragma('synchronous = NORMAL');
    try {
      tx();
    } finally {
      this.db.pragma(`synchronous = ${before}`);
    }
  }
}
