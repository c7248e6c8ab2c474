import type { Logger } from 'pino';
import { type AuditEntry, appendEntries, prepareEntries } from './audit-entry.js';
import type { EntryResult } from './chain-protocol.js';
import type { PgChainStore } from './chain-store-pg.js';
import type { CheckpointMover } from './checkpoint-mover.js';
import type { ChainRecord } from './types.js';

interface Waiting {
  entries: AuditEntry[];
  resolve(results: EntryResult[]): void;
  reject(e: unknown): void;
}

/**
 * The appender of the PostgreSQL chain, in process (the database does the I/O; nothing blocks
 * the event loop, so no thread as for SQLite). Group commit: every batch that arrives while a
 * transaction runs goes into the next one, so concurrent requests share one WAL flush. A batch is
 * answered only after its COMMIT; a failed commit rejects it (the record may not be stored —
 * never the other way round). Then the signed checkpoint is moved to the new head.
 */
export class PgChainWriter {
  private queue: Waiting[] = [];
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly store: PgChainStore,
    private readonly key: Buffer,
    private readonly checkpoint: CheckpointMover,
    private readonly logger: Pick<Logger, 'error'>,
  ) {}

  /**
   * Builds the entries' records (here, in process: the I/O is the database's) and appends them
   * after everything appended before (by any instance); resolves once committed.
   */
  append(entries: AuditEntry[]): Promise<EntryResult[]> {
    if (this.closed) return Promise.reject(new Error('audit log is closed'));
    return new Promise<EntryResult[]>((resolve, reject) => {
      this.queue.push({ entries, resolve, reject });
      this.running ??= this.drain().finally(() => (this.running = undefined));
    });
  }

  /** Fire and forget: a lost watermark only makes the next catch-up longer. */
  setProjectedUpTo(target: string, upto: number): void {
    this.store
      .setProjectedUpTo(target, upto)
      .catch((err: unknown) => this.logger.error({ err }, 'audit projection watermark not stored'));
  }

  /** Refuses new appends, finishes those under way and the last checkpoint move. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.running) await this.running;
    await this.checkpoint.close();
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      await this.commit(batch);
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    const prepared = prepareEntries(batch.flatMap((w) => w.entries));
    let results: EntryResult[];
    try {
      results = await appendEntries(
        prepared,
        (records) => this.store.append(records, this.key),
        // Any other failure (the connection, a conflict) fails every entry: nothing is acknowledged.
        (e) => (e as { code?: unknown }).code === 'DUPLICATE_ID',
      );
    } catch (e) {
      for (const w of batch) w.reject(e);
      return;
    }
    let i = 0;
    for (const w of batch) {
      w.resolve(results.slice(i, i + w.entries.length));
      i += w.entries.length;
    }
    const last = results.findLast((r): r is { records: ChainRecord[] } => 'records' in r && r.records.length > 0);
    if (last) this.checkpoint.move(last.records[last.records.length - 1]!);
  }
}
