import type { IndexedResult, IndexedWrite, SqliteIndex } from './sqlite/sqlite-index.js';

interface Waiting {
  write: IndexedWrite;
  resolve(r: IndexedResult): void;
  reject(e: unknown): void;
}

/** Where a store hands its index write; the write's promise resolves once committed. */
export interface Committer {
  submit(write: IndexedWrite): Promise<IndexedResult>;
}

/** Commits a queue of writes in one transaction (one WAL fsync); one bad write does not fail the others. */
function commitAll(index: SqliteIndex, batch: Waiting[]): void {
  if (batch.length === 0) return;
  try {
    const results = index.commit(batch.map((w) => w.write));
    batch.forEach((w, i) => w.resolve(results[i]!));
  } catch (e) {
    if (batch.length === 1) return batch[0]!.reject(e);
    for (const w of batch) {
      try {
        w.resolve(index.commit([w.write])[0]!);
      } catch (err) {
        w.reject(err);
      }
    }
  }
}

/**
 * Group commit: writes that arrive while the event loop is busy are committed together,
 * from C-STORE associations, imports and STOW requests alike.
 */
export class GroupCommitter implements Committer {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly index: SqliteIndex) {}

  submit(write: IndexedWrite): Promise<IndexedResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          const batch = this.queue;
          this.queue = [];
          commitAll(this.index, batch);
        });
      }
    });
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
    private readonly index: SqliteIndex,
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
    commitAll(this.index, batch);
  }
}
