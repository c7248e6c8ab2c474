import { expect, it } from 'vitest';
import { archiveIndexSuite, indexRecord } from '../archive-index-suite.js';
import type { IndexedWrite } from '../archive-index.js';
import { SqliteIndex } from './sqlite-index.js';

archiveIndexSuite('SQLite', async () => new SqliteIndex(':memory:'));

// What the connection's `synchronous` is while a write of each durability is applied, and after.
it.each([
  ['synced', 2],
  ['grouped', 1],
  ['journaled', 1],
] as const)('a %s commit runs with synchronous=%i and leaves the connection at FULL', async (durability, during) => {
  const index = new SqliteIndex(':memory:');
  try {
    const seen: number[] = [];
    const record = indexRecord({ sop: `1.2.3.${during}.${durability.length}`, instanceNumber: 1 });
    const write: IndexedWrite = {
      replaces: null,
      get record() {
        seen.push(index.db.pragma('synchronous', { simple: true }) as number);
        return record;
      },
    };
    const receipt = await index.commit([write], { durability });
    await receipt.durable.catch(() => {}); // an in-memory database has no WAL file to sync
    expect(receipt.results[0]?.decision).toBe('stored');
    expect(seen[0]).toBe(during);
    expect(index.db.pragma('synchronous', { simple: true })).toBe(2);
  } finally {
    await index.close();
  }
});
