import type { Awaitable } from '../sync/awaitable.js';
import type { BridgeWriteJournal, JournalLog } from '../sync/write-journal.js';
import type { PgBridgeDb } from './pg-bridge-db.js';

/**
 * The bridge's writes of a sync pass in one PostgreSQL transaction (BridgeWriteJournal): the ops
 * call the Pg* bridge stores, whose queries join the transaction flush() opened. Committed with
 * synchronous_commit off, the PostgreSQL form of the SQLite journal's synchronous=NORMAL: what it
 * holds is derived again by syncing once more (write-journal.ts), and the next synchronous commit
 * on the database flushes the WAL past it.
 */
export class PgWriteJournal implements BridgeWriteJournal {
  private ops: (() => Awaitable<void>)[] = [];

  constructor(
    private readonly db: PgBridgeDb,
    private readonly options: { relaxed?: boolean; onError?: JournalLog } = {},
  ) {}

  get pending(): number {
    return this.ops.length;
  }

  add(op: () => Awaitable<void>): void {
    this.ops.push(op);
  }

  /** One transaction for all; when it fails, each write in a transaction of its own (a failing one reported and dropped). */
  async flush(): Promise<void> {
    if (this.ops.length === 0) return;
    const ops = this.ops;
    this.ops = [];
    try {
      await this.commit(async () => {
        for (const op of ops) await op();
      });
    } catch (e) {
      this.options.onError?.(e, ops.length);
      for (const op of ops) {
        try {
          await this.commit(async () => op());
        } catch (err) {
          this.options.onError?.(err, 1);
        }
      }
    }
  }

  /**
   * Batched (pg-bridge-db.ts): the stores' writes run as one statement per kind, not one per
   * study; the relaxed commit's setting is sent with the BEGIN (one round trip).
   */
  private commit(fn: () => Promise<void>): Promise<void> {
    if (this.db.inTransaction) return fn();
    return this.db.batched(fn, this.options.relaxed ? 'BEGIN; SET LOCAL synchronous_commit = off' : undefined);
  }
}
