import type { Logger } from 'pino';
import type Database from 'better-sqlite3';
import type { ArchiveIndex } from './archive-index.js';
import type { FileBlobStore } from './file-blob-store.js';

const RUNNING_KEY = 'running_since';
/** A file renamed into place this recently may belong to a live writer (an import) about to commit. */
const MIN_AGE_MS = 60_000;

/**
 * A stored file is renamed into place just before its index commit; a crash in between leaves
 * a file no index row refers to (never acknowledged, so nothing is lost — but it takes space).
 * After an unclean stop, the study folders written since the last start are swept.
 */
export class OrphanSweeper {
  /** `db`: where the running marker is kept (the archive index's SQLite file). */
  constructor(
    private readonly index: Pick<ArchiveIndex, 'blobKeysOfStudy'>,
    private readonly db: Database.Database,
    private readonly blobs: FileBlobStore,
  ) {}

  /** Call once at server start; returns when the previous run stopped uncleanly, since when. */
  begin(now = Date.now()): number | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(RUNNING_KEY) as
      | { value: string }
      | undefined;
    this.db.prepare('INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)').run(RUNNING_KEY, String(now));
    return row ? Number(row.value) : undefined;
  }

  /** Call at a clean stop. */
  end(): void {
    this.db.prepare('DELETE FROM meta WHERE key = ?').run(RUNNING_KEY);
  }

  /** Removes unreferenced files in study folders changed since `since`; returns how many went. */
  async sweep(since: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const { studyUid, files } of this.blobs.studyFoldersChangedSince(since)) {
      const referenced = await this.index.blobKeysOfStudy(studyUid);
      for (const f of files) {
        if (referenced.has(f.key) || now - f.mtimeMs < MIN_AGE_MS) continue;
        await this.blobs.remove(f.key);
        removed++;
      }
    }
    return removed;
  }
}

/** After an unclean stop, files renamed into place but never committed are swept (now, and once more later). */
export function sweepAfterCrash(
  index: Pick<ArchiveIndex, 'blobKeysOfStudy'>,
  db: Database.Database,
  blobs: FileBlobStore,
  logger: Logger,
): OrphanSweeper {
  const sweeper = new OrphanSweeper(index, db, blobs);
  const since = sweeper.begin();
  if (since !== undefined) {
    const run = () =>
      sweeper.sweep(since).then(
        (removed) => removed > 0 && logger.warn({ removed }, 'removed files left unindexed by an unclean stop'),
        (err: unknown) => logger.error({ err }, 'orphan sweep failed'),
      );
    void run();
    setTimeout(run, 90_000).unref(); // files younger than a minute are left for this second pass
  }
  return sweeper;
}
