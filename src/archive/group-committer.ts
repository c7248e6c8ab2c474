import type { IndexedResult, IndexedWrite, SqliteIndex } from './sqlite/sqlite-index.js';

interface Waiting {
  write: IndexedWrite;
  resolve(r: IndexedResult): void;
  reject(e: unknown): void;
}

/**
 * Group commit: writes that arrive while the event loop is busy are committed together in
 * one transaction (one WAL fsync), from STOW parts, C-STORE associations and imports alike.
 */
export class GroupCommitter {
  private queue: Waiting[] = [];
  private scheduled = false;

  constructor(private readonly index: SqliteIndex) {}

  submit(write: IndexedWrite): Promise<IndexedResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ write, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    try {
      const results = this.index.commit(batch.map((w) => w.write));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (e) {
      if (batch.length === 1) return batch[0]!.reject(e);
      // One bad write must not fail the others: commit them one by one.
      for (const w of batch) {
        try {
          w.resolve(this.index.commit([w.write])[0]!);
        } catch (err) {
          w.reject(err);
        }
      }
    }
  }
}
