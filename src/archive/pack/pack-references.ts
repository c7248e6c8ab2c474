import type Database from 'better-sqlite3';
import { parseKey } from './pack-store.js';

/** The index tables whose rows name stored bytes by blob key (current, replaced and rejected versions). */
const TABLES = ['instances', 'instance_versions', 'rejected_instances'] as const;

/** Pack keys the index refers to, by segment, each with the SOP Instance UIDs of the rows that name it. */
export function packReferences(db: Database.Database): Map<number, Map<string, Set<string>>> {
  const bySegment = new Map<number, Map<string, Set<string>>>();
  for (const table of TABLES) {
    const rows = db.prepare(`SELECT blob_key AS key, sop_uid AS sop FROM ${table} WHERE blob_key LIKE 'p/%'`).iterate();
    for (const { key, sop } of rows as Iterable<{ key: string; sop: string }>) {
      const segment = parseKey(key).segment;
      let keys = bySegment.get(segment);
      if (!keys) bySegment.set(segment, (keys = new Map()));
      let sops = keys.get(key);
      if (!sops) keys.set(key, (sops = new Set()));
      sops.add(sop);
    }
  }
  return bySegment;
}

export interface KeyMove {
  from: string;
  to: string;
  sops: Set<string>;
}

/**
 * Point every row naming `from` at `to`, all moves in one synced transaction (the index's
 * synchronous=FULL): after it the old keys are named nowhere. Rows are found by SOP Instance
 * UID (indexed) and old key. Returns the moves that changed no row: the instance went (deleted)
 * between the scan and now, so its copy must be erased.
 */
export function repointKeys(db: Database.Database, moves: KeyMove[]): KeyMove[] {
  const updates = TABLES.map((t) => db.prepare(`UPDATE ${t} SET blob_key = ? WHERE sop_uid = ? AND blob_key = ?`));
  return db
    .transaction(() => {
      const orphaned: KeyMove[] = [];
      for (const m of moves) {
        let changed = 0;
        for (const sop of m.sops) for (const u of updates) changed += u.run(m.to, sop, m.from).changes;
        if (changed === 0) orphaned.push(m);
      }
      return orphaned;
    })
    .immediate();
}
