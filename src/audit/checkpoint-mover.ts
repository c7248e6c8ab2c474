import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import type { ChainRecord } from './types.js';

type Head = Pick<ChainRecord, 'seq' | 'hash'>;

/**
 * Movers of one process that share a checkpoint file (instances given the same key file) take
 * turns, so the read-compare-write below never lets a lower head overwrite a higher one.
 */
const turns = new Map<string, Promise<void>>();

async function inTurn(file: string, work: () => Promise<void>): Promise<void> {
  const before = turns.get(file) ?? Promise.resolve();
  const mine = before.then(work, work);
  const settled = mine.catch(() => undefined);
  turns.set(file, settled);
  try {
    await mine;
  } finally {
    if (turns.get(file) === settled) turns.delete(file);
  }
}

/**
 * Keeps the signed checkpoint (checkpoint.ts) at the head of the chain after each commit, for
 * a writer whose store reads asynchronously (the PostgreSQL chain). Same rules as the SQLite
 * writer thread (chain-worker.ts): moves are coalesced and written off the commit path; a
 * checkpoint the chain no longer holds is left as evidence and alarmed once.
 */
export class CheckpointMover {
  private frozen = false;
  private written = false;
  private wanted: Head | undefined;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly key: Buffer,
    private readonly hashAt: (seq: number) => Promise<string | undefined>,
    private readonly alarm: (message: string, e?: unknown) => void,
  ) {}

  /**
   * At start: reports a truncation done while stopped, and moves a checkpoint left behind to the
   * head. `missing` says what an absent checkpoint with records in the chain means here.
   */
  async start(head: Head | undefined, missing: (head: Head) => void): Promise<void> {
    try {
      const { holds, seq } = await this.holds();
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
    while (this.writing) await this.writing;
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
      const head = this.wanted;
      this.wanted = undefined;
      try {
        await inTurn(this.file, async () => {
          const { holds, seq } = await this.holds();
          if (!holds || seq >= head.seq) return;
          await writeCheckpoint(this.file, this.key, head, !this.written);
          this.written = true;
        });
      } catch (e) {
        this.alarm(
          `audit checkpoint ${this.file} cannot be written: truncation of the newest records would go unnoticed`,
          e,
        );
      }
    }
    if (this.frozen) this.wanted = undefined;
  }
}
