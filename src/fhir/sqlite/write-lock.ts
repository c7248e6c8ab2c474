import type Database from 'better-sqlite3';
import { isSqliteBusy, serviceUnavailable } from '../../core/errors.js';
import type { WriteWaiters } from './write-waiters.js';

/** Waits between attempts (ms), then the last one repeated: short first, as most holds are short. */
const BACKOFF_MS = [1, 2, 4, 8, 16, 25];

/**
 * Takes a connection's write lock (BEGIN IMMEDIATE) without sleeping on the calling thread.
 * SQLite's busy handler sleeps inside the call (in steps of up to 100 ms, up to busy_timeout):
 * on the server's event loop that stalls every request while another connection (the audit
 * projection thread, a CLI) holds the lock, and after busy_timeout the write fails as a plain
 * SQLITE_BUSY. Here the attempt runs with busy_timeout 0 and is repeated on a timer with backoff;
 * after `maxWaitMs` the write is refused with 503 + Retry-After (transient), nothing written.
 * The connection's own busy_timeout (for reads) is restored after each attempt. While a write
 * waits it is counted in `waiters` (when given), which secondary writers on other threads check
 * before each of their transactions to let it go first (write-waiters.ts).
 */
export class WriteLock {
  private readonly timeout: number;

  constructor(
    private readonly db: Database.Database,
    private readonly maxWaitMs: number,
    private readonly waiters?: WriteWaiters,
  ) {
    this.timeout = Number(db.pragma('busy_timeout', { simple: true }));
  }

  /** BEGIN IMMEDIATE now (undefined) or a promise of it; rejects with 503 after maxWaitMs. */
  begin(): Promise<void> | undefined {
    if (this.tryBegin()) return undefined;
    const leave = this.waiters?.enter();
    const waiting = this.retry(performance.now());
    if (leave) void waiting.then(leave, leave);
    return waiting;
  }

  private async retry(started: number): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const waited = performance.now() - started;
      if (waited >= this.maxWaitMs) {
        throw serviceUnavailable(
          `the FHIR store is busy: its write lock stayed taken for ${Math.round(waited)} ms; nothing was written, try again`,
          undefined,
          { 'retry-after': '1' },
        );
      }
      const pause = Math.min(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!, this.maxWaitMs - waited);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, pause)));
      if (this.tryBegin()) return;
    }
  }

  private tryBegin(): boolean {
    // Not a prepared statement: SQLite applies PRAGMA busy_timeout when it compiles it.
    this.db.pragma('busy_timeout = 0');
    try {
      this.db.exec('BEGIN IMMEDIATE');
      return true;
    } catch (e) {
      if (isSqliteBusy(e)) return false;
      throw e;
    } finally {
      this.db.pragma(`busy_timeout = ${this.timeout}`);
    }
  }
}
