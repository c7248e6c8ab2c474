import { readCheckpoint, withCheckpointLock, writeCheckpoint } from './checkpoint.js';
import type { ChainRecord } from './types.js';

type Head = Pick<ChainRecord, 'seq' | 'hash'>;

/** How often the writers move the checkpoint at most (docs/security.md, "Truncation"). */
export const CHECKPOINT_INTERVAL_MS = 500;

/**
 * Keeps the signed checkpoint (checkpoint.ts) at the head of the chain after each commit, for
 * both writers (the SQLite writer thread, chain-worker.ts, and the PostgreSQL one): moves are
 * coalesced and written off the commit path, at most once per `minIntervalMs` (each write is a
 * lock file, a read, a query and an fsynced rename: under a steady stream of commits they would
 * compete with the commits' own fsyncs), so the checkpoint trails the acknowledged head by at most
 * that interval plus one write (a crash in that window leaves it a little behind, which is still
 * true of the chain); a checkpoint the chain no longer holds is left as evidence and alarmed once.
 * Each move reads, compares and writes under the checkpoint's lock file: processes sharing it
 * never move it back. close() writes the last move at once.
 */
export class CheckpointMover {
  private frozen = false;
  private written = false;
  private wanted: Head | undefined;
  private writing: Promise<void> | undefined;
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private closing = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly file: string,
    private readonly key: Buffer,
    private readonly hashAt: (seq: number) => Promise<string | undefined>,
    private readonly alarm: (message: string, e?: unknown) => void,
    private readonly minIntervalMs = 0,
  ) {}

  /**
   * At start: reports a truncation done while stopped, and moves a checkpoint left behind to the
   * head. `missing` says what an absent checkpoint with records in the chain means here.
   */
  async start(
    headOf: () => Head | undefined | Promise<Head | undefined>,
    missing: (head: Head) => void,
  ): Promise<void> {
    try {
      const { holds, seq } = await this.holds();
      const head = await headOf();
      if (holds && head && head.seq > seq) {
        if (seq === 0) missing(head);
        this.move(head);
      }
    } catch (e) {
      this.alarm(`audit checkpoint ${this.file} cannot be checked`, e);
    }
  }

  /** Moves the checkpoint to `head` (coalesced with later moves, written in the background). */
  move(head: Head): void {
    if (this.frozen) return;
    this.wanted = head;
    this.writing ??= this.writeAll().finally(() => {
      this.writing = undefined;
      if (this.wanted) this.move(this.wanted);
    });
  }

  /** Resolves once the last move is on disk. */
  async close(): Promise<void> {
    this.closing = true;
    this.wake?.();
    while (this.writing) await this.writing;
  }

  /** Waits until `minIntervalMs` has passed since the last write (at once when closing). */
  private async spaced(): Promise<void> {
    const rest = this.lastWriteAt + this.minIntervalMs - performance.now();
    if (rest <= 0 || this.closing) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, rest);
      timer.unref();
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async holds(): Promise<{ holds: boolean; seq: number }> {
    const state = readCheckpoint(this.file, this.key);
    if (state.status === 'absent') return { holds: true, seq: 0 };
    if (state.status === 'invalid') {
      this.frozen = true;
      this.alarm(`audit checkpoint ${this.file} ${state.reason}: left as it is; run "imaging-bridge audit verify"`);
      return { holds: false, seq: 0 };
    }
    const { seq, hash } = state.checkpoint;
    const found = await this.hashAt(seq);
    if (found === hash) return { holds: true, seq };
    this.frozen = true;
    this.alarm(
      found === undefined
        ? `audit chain TRUNCATED: the checkpoint ${this.file} records seq ${seq} but the chain holds no such record: the last records were removed. The checkpoint is kept as evidence; run "imaging-bridge audit verify"`
        : `audit chain TAMPERED: record ${seq} differs from the checkpoint ${this.file}: records were removed and replaced. The checkpoint is kept as evidence; run "imaging-bridge audit verify"`,
    );
    return { holds: false, seq };
  }

  private async writeAll(): Promise<void> {
    while (this.wanted && !this.frozen) {
      await this.spaced(); // later moves coalesce meanwhile
      const head = this.wanted;
      if (!head) break;
      this.wanted = undefined;
      try {
        await withCheckpointLock(this.file, async () => {
          const { holds, seq } = await this.holds();
          // Another process sharing the checkpoint may have moved it further already.
          if (!holds || seq >= head.seq) return;
          await writeCheckpoint(this.file, this.key, head, !this.written);
          this.written = true;
          this.lastWriteAt = performance.now();
        });
      } catch (e) {
        // The records are durable; only the truncation evidence lags. Said every time: it must be fixed.
        this.alarm(
          `audit checkpoint ${this.file} cannot be written: truncation of the newest records would go unnoticed`,
          e,
        );
      }
    }
    if (this.frozen) this.wanted = undefined;
  }
}
