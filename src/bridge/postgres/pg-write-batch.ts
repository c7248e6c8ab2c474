/**
 * The writes of a sync pass's journal transaction on PostgreSQL, one statement per kind of write
 * instead of one per study (issue 22, P7: about six statements per study, each a round trip of
 * the server's busy event loop). A store's write method, called inside a batched transaction
 * (PgBridgeDb.batched), hands its row to the batch (PgBridgeDb.defer) and returns; the batch runs
 * before any other statement of the transaction (a read sees every write made before it) and
 * before its commit. So nothing changes but the number of round trips:
 * - what a write changes is what it changed on its own (each kind's statement takes the rows as
 *   column arrays and does for each what the single statement did, in the order given);
 * - two writes of one study to one table keep their order: a row whose table already has a
 *   pending write for that study goes into a later statement (a new group at the end);
 * - writes to different tables may run in another order than made (these tables have no keys or
 *   triggers between them);
 * - a failing statement fails the transaction, as the single write would have: the journal then
 *   runs each op in a transaction of its own (write-journal.ts).
 */
import type pg from 'pg';

export type BatchQuery = (sql: string, params: unknown[]) => Promise<pg.QueryResult>;

/** One kind of write: `run` does for every item what the single write does for one. */
export interface BatchKind<T> {
  /** The table it writes (two kinds of one table keep the order of their writes of one study). */
  readonly table: string;
  run(query: BatchQuery, items: readonly T[]): Promise<void>;
}

interface Group {
  kind: BatchKind<unknown>;
  keys: Set<string>;
  items: unknown[];
}

export class PgWriteBatch {
  private groups: Group[] = [];

  get pending(): number {
    return this.groups.length;
  }

  /** Keeps `item` (the write of `key`, a study) for the statement of its kind. */
  add<T>(kind: BatchKind<T>, key: string, item: T): void {
    const k = kind as BatchKind<unknown>;
    // The latest group of this kind that no write of the same table and key comes in or after.
    let into: Group | undefined;
    for (let i = this.groups.length - 1; i >= 0; i--) {
      const g = this.groups[i]!;
      if (g.kind.table !== k.table) continue;
      if (g.keys.has(key)) break;
      if (g.kind === k) {
        into = g;
        break;
      }
    }
    if (!into) {
      into = { kind: k, keys: new Set(), items: [] };
      this.groups.push(into);
    }
    into.keys.add(key);
    into.items.push(item);
  }

  /** Runs the kept writes, a statement (or two) per group, in the order the groups were made. */
  async run(query: BatchQuery): Promise<void> {
    const groups = this.groups;
    this.groups = [];
    for (const g of groups) await g.kind.run(query, g.items);
  }
}
