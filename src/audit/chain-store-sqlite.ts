import type { SqliteKeys } from '../core/sqlite-open.js';
import { type AuditChainStore, DuplicateAuditIdError, type NewRecord } from './chain-store-contract.js';
import { ChainStore } from './chain-store.js';
import type { ChainRecord } from './types.js';

/**
 * The SQLite chain (`chain-store.ts`) behind the shared `AuditChainStore` interface: for verify,
 * export, the projection's catch-up and the shared suite. The server's appends go through the
 * writer thread (`chain-worker.ts`), which uses the synchronous store directly.
 */
export class SqliteAuditChainStore implements AuditChainStore {
  constructor(readonly store: ChainStore) {}

  static open(
    file: string,
    options: { mustExist?: boolean; readonly?: boolean; keys?: SqliteKeys } = {},
  ): SqliteAuditChainStore {
    return new SqliteAuditChainStore(new ChainStore(file, options));
  }

  async append(records: readonly NewRecord[], key: Buffer): Promise<ChainRecord[]> {
    try {
      return this.store.append([...records], key);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new DuplicateAuditIdError(duplicateOf(records, this.store), { cause: e });
      throw e;
    }
  }

  async hashAt(seq: number): Promise<string | undefined> {
    return this.store.hashAt(seq);
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    return this.store.head();
  }

  async count(): Promise<number> {
    return this.store.count();
  }

  async *iterate(after = 0, batch = 1000): AsyncGenerator<ChainRecord> {
    yield* this.store.iterate(after, batch);
  }

  async projectedUpTo(target: string): Promise<number> {
    return this.store.projectedUpTo(target);
  }

  async setProjectedUpTo(target: string, upto: number): Promise<void> {
    this.store.setProjectedUpTo(target, upto);
  }

  async close(): Promise<void> {
    this.store.close();
  }
}

/** The first id of `records` already stored (for the error message). */
function duplicateOf(records: readonly NewRecord[], store: ChainStore): string | undefined {
  const seen = new Set<string>();
  for (const r of records) {
    if (seen.has(r.id)) return r.id;
    seen.add(r.id);
  }
  const stored = store.db.prepare('SELECT 1 FROM audit_record WHERE id = ?').pluck();
  return records.find((r) => stored.get(r.id) !== undefined)?.id;
}
