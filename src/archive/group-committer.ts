import { StoreError } from '../core/errors.js';
import { DicomStatus } from '../core/dicom-status.js';
import type { ArchiveIndex, CommitReceipt, IndexedResult, IndexedWrite } from './archive-index.js';

interface Waiting {
  write: IndexedWrite;
  resolve(r: IndexedResult): void;
  reject(e: unknown): void;
}

/** Where a store hands its index write; the write's promise resolves once committed. */
export interface Committer {
  submit(write: IndexedWrite): Promise<IndexedResult>;
}

/**
 * The index commit of a write is visible, but the WAL sync that would make it durable failed:
 * the store fails (its answer must not claim a durable write), and its bytes stay where the
 * index points (removing them would leave a record without its object).
 */
export class IndexSyncError extends StoreError {
  constructor(cause: unknown) {
    super(
      DicomStatus.OutOfResources,
      `the index could not be made durable: ${(cause as Error)?.message ?? String(cause)}`,
    );
    this.name = 'IndexSyncError';
  }
}

/**
 * Commits a queue of writes in one transaction, without a sync on the event loop; one bad write
 * does not fail the others. Journaled writes are settled at once (their journal makes them
 * durable); the others once the commit's grouped sync is done.
 */
async function commitAll(index: ArchiveIndex, batch: Waiting[]): Promise<void> {
  if (batch.length === 0) return;
  // A batch made only of journaled writes needs no sync of its own.
  const durability = batch.every((w) => w.write.journaled) ? 'journaled' : 'grouped';
  const committed: [Waiting, IndexedResult, CommitReceipt][] = [];
  try {
    const receipt = await index.commit(
      batch.map((w) => w.write),
      { durability },
    );
    batch.forEach((w, i) => committed.push([w, receipt.results[i]!, receipt]));
  } catch (e) {
    if (batch.length === 1) return batch[0]!.reject(e);
    for (const w of batch) {
      try {
        const receipt = await index.commit([w.write], { durability: w.write.journaled ? 'journaled' : 'grouped' });
        committed.push([w, receipt.results[0]!, receipt]);
      } catch (err) {
        w.reject(err);
      }
    }
  }
  for (const [w, r, receipt] of committed) {
    if (w.write.journaled) w.resolve(r);
    else
      receipt.durable.then(
        () => w.resolve(r),
        (e: unknown) => w.reject(new IndexSyncError(e)),
      );
  }
}

/**
 * Group commit, from C-STORE associations, imports and STOW requests alike. A write that finds
 * the committer idle is committed in the same event-loop turn, once the microtasks queued
 * before it ran (a C-STORE's answer waits for it: no turn behind timers, I/O callbacks and other
 * immediates first), together with the writes those microtasks submit (the appends one pack
 * sync made durable go on together); writes that arrive while a commit is under way are
 * committed together as soon as it is done.
 */
export class GroupCommitter implements Committer {
  private queue: Waiting[] = [];
  private committing = false;

  constructor(private readonly index: ArchiveIndex) {}

  submit(write: IndexedWrite): Promise<IndexedResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.committing) {
        this.committing = true;
        queueMicrotask(() => this.commitQueued());
      }
    });
  }

  /** Commits what waits, then what came meanwhile, until nothing waits. */
  private commitQueued(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) {
      this.committing = false;
      return;
    }
    this.committing = true;
    void commitAll(this.index, batch).finally(() => this.commitQueued());
  }
}

/**
 * The writes of one request that is acknowledged as a whole (a STOW-RS request): held and
 * committed `size` at a time, or when the request asks (it is about to wait, or it ended).
 * A 400-instance STOW then costs a dozen commits instead of 400.
 */
export class RequestCommitter implements Committer {
  private queue: Waiting[] = [];
  private closed = false;
  private scheduled = false;

  constructor(
    private readonly index: ArchiveIndex,
    private readonly size: number,
  ) {}

  submit(write: IndexedWrite): Promise<IndexedResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (this.queue.length >= this.size) this.flush();
      else if (this.closed && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** The request has no more parts: commit what waits, and later writes as they come. */
  close(): void {
    this.closed = true;
    this.flush();
  }

  flush(): void {
    const batch = this.queue;
    this.queue = [];
    void commitAll(this.index, batch);
  }
}
