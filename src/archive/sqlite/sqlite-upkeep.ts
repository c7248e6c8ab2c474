import type Database from 'better-sqlite3';
import {
  type ArchiveUpkeep,
  BLOB_KEY_TABLES,
  type BlobReference,
  type KeyMove,
  type StudyFacts,
} from '../archive-upkeep.js';
import { studyFactsReader } from '../study-facts.js';
import { OUTBOX_UPSERT } from './schema.js';
import { settled } from './sqlite-index.js';

const RUNNING_KEY = 'running_since';

/**
 * ArchiveUpkeep on the SQLite index's database (`SqliteIndex.db`; one server per data
 * directory, so the running marker is one row). Runs each call at once; writes commit with the
 * index's synchronous=FULL, so they are durable when they resolve.
 */
export class SqliteUpkeep implements ArchiveUpkeep {
  private readonly stmts;
  private readonly facts: (studyUid: string) => StudyFacts | undefined;

  constructor(private readonly db: Database.Database) {
    this.facts = studyFactsReader(db);
    this.stmts = {
      running: db.prepare('SELECT value FROM meta WHERE key = ?'),
      setRunning: db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)'),
      stopped: db.prepare('DELETE FROM meta WHERE key = ?'),
      references: BLOB_KEY_TABLES.map((t) =>
        db.prepare(`SELECT blob_key AS key, sop_uid AS sop FROM ${t} WHERE substr(blob_key, 1, ?) = ?`),
      ),
      repoint: BLOB_KEY_TABLES.map((t) =>
        db.prepare(`UPDATE ${t} SET blob_key = ? WHERE sop_uid = ? AND blob_key = ?`),
      ),
      enqueue: db.prepare(OUTBOX_UPSERT),
    };
  }

  markRunning(now: number): Promise<number | undefined> {
    return settled(() => {
      const row = this.stmts.running.get(RUNNING_KEY) as { value: string } | undefined;
      this.stmts.setRunning.run(RUNNING_KEY, String(now));
      return row ? Number(row.value) : undefined;
    });
  }

  markStopped(): Promise<void> {
    return settled(() => void this.stmts.stopped.run(RUNNING_KEY));
  }

  blobReferences(prefix: string): Promise<BlobReference[]> {
    return settled(() => this.stmts.references.flatMap((s) => s.all(prefix.length, prefix) as BlobReference[]));
  }

  repointBlobKeys(moves: KeyMove[]): Promise<KeyMove[]> {
    return settled(() =>
      this.db
        .transaction(() => {
          const orphaned: KeyMove[] = [];
          for (const m of moves) {
            let changed = 0;
            for (const sop of m.sops) for (const u of this.stmts.repoint) changed += u.run(m.to, sop, m.from).changes;
            if (changed === 0) orphaned.push(m);
          }
          return orphaned;
        })
        .immediate(),
    );
  }

  studyFacts(studyUid: string): Promise<StudyFacts | undefined> {
    return settled(() => this.facts(studyUid));
  }

  studiesFacts(studyUids: string[]): Promise<Map<string, StudyFacts>> {
    return settled(() => {
      const out = new Map<string, StudyFacts>();
      for (const uid of studyUids) {
        const facts = this.facts(uid);
        if (facts) out.set(uid, facts);
      }
      return out;
    });
  }

  queueForSync(studyUids: string[], reason: string): Promise<void> {
    const now = Date.now();
    return settled(() =>
      this.db.transaction(() => {
        for (const studyUid of new Set(studyUids)) this.stmts.enqueue.run({ studyUid, now, reason });
      })(),
    );
  }
}
