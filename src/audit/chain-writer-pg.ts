import type { Logger } from 'pino';
import { type AppendResult, serializeError } from './chain-protocol.js';
import type { NewRecord } from './chain-store-contract.js';
import type { PgChainStore } from './chain-store-pg.js';
import type { CheckpointMover } from './checkpoint-mover.js';

interface Waiting {
  records: NewRecord[];
  resolve(results: AppendResult[]): void;
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

  /** Appends after everything appended before (by any instance); resolves once committed. */
  append(records: NewRecord[]): Promise<AppendResult[]> {
    if (this.closed) return Promise.reject(new Error('audit log is closed'));
    return new Promise<AppendResult[]>((resolve, reject) => {
      this.queue.push({ records, resolve, reject });
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
    const records = batch.flatMap((w) => w.records);
    let results: AppendResult[];
    try {
      results = (await this.store.append(records, this.key)).map(({ seq, prevHash, hash }) => ({
        seq,
        prevHash,
        hash,
      }));
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'DUPLICATE_ID' || records.length === 1) {
        for (const w of batch) w.reject(e);
        return;
      }
      // One bad record (a duplicate id) must not fail the others: one by one, then.
      results = [];
      for (const record of records) {
        try {
          const [r] = await this.store.append([record], this.key);
          results.push({ seq: r!.seq, prevHash: r!.prevHash, hash: r!.hash });
        } catch (err) {
          results.push({ error: serializeError(err) });
        }
      }
    }
    let i = 0;
    for (const w of batch) {
      w.resolve(results.slice(i, i + w.records.length));
      i += w.records.length;
    }
    const last = results.findLast((r): r is { seq: number; prevHash: string; hash: string } => 'seq' in r);
    if (last) this.checkpoint.move(last);
  }
}
