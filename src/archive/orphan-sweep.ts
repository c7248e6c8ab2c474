import type { Logger } from 'pino';
import type { ArchiveIndex } from './archive-index.js';
import type { ArchiveUpkeep } from './archive-upkeep.js';

/** Where the running marker is kept: beside the archive index (SqliteUpkeep, PgUpkeep: per instance). */
export type RunningMarker = Pick<ArchiveUpkeep, 'markRunning' | 'markStopped'>;
/** An object placed this recently may belong to a live writer (an import) about to commit. */
const MIN_AGE_MS = 60_000;

/** The objects of one study folder (`xx/<StudyInstanceUID>/`), with when each was last written. */
export interface StudyObjects {
  studyUid: string;
  files: { key: string; mtimeMs: number }[];
}

/** A blob store the sweep can walk: files (FileBlobStore) or objects in a bucket (S3BlobStore). */
export interface SweepableBlobs {
  /** Study folders that may hold objects written since `sinceMs`, with their objects. */
  studyFoldersChangedSince(sinceMs: number): Iterable<StudyObjects> | AsyncIterable<StudyObjects>;
  remove(key: string): Promise<void>;
}

export interface SweepOptions {
  /** Objects younger than this are left alone (a writer may be about to commit them). */
  minAgeMs?: number;
  /**
   * Unreferenced objects are looked up again this much later, and removed only if still
   * unreferenced. S3 needs it: a multipart object's time is its upload's start, so an object
   * finished a moment ago, its index commit still to come, can look old.
   */
  confirmAfterMs?: number;
}

/**
 * A stored object is placed (a file renamed into place, an S3 object written) just before its
 * index commit; a crash in between leaves an object no index row refers to (never
 * acknowledged, so nothing is lost — but it takes space). After an unclean stop, the study
 * folders written since the last start are swept.
 */
export class OrphanSweeper {
  constructor(
    private readonly index: Pick<ArchiveIndex, 'blobKeysOfStudy'>,
    private readonly marker: RunningMarker,
    private readonly blobs: SweepableBlobs,
    private readonly opts: SweepOptions = {},
  ) {}

  /** Call once at server start; returns when the previous run stopped uncleanly, since when. */
  begin(now = Date.now()): Promise<number | undefined> {
    return this.marker.markRunning(now);
  }

  /** Call at a clean stop. */
  end(): Promise<void> {
    return this.marker.markStopped();
  }

  /** Removes unreferenced objects in study folders changed since `since`; returns how many went. */
  async sweep(since: number, now = Date.now()): Promise<number> {
    const minAge = this.opts.minAgeMs ?? MIN_AGE_MS;
    const confirm = this.opts.confirmAfterMs ?? 0;
    const suspects = new Map<string, string[]>();
    for await (const { studyUid, files } of this.blobs.studyFoldersChangedSince(since)) {
      const referenced = await this.index.blobKeysOfStudy(studyUid);
      const unreferenced = files.filter((f) => !referenced.has(f.key) && now - f.mtimeMs >= minAge).map((f) => f.key);
      if (unreferenced.length > 0) suspects.set(studyUid, [...(suspects.get(studyUid) ?? []), ...unreferenced]);
    }
    if (suspects.size > 0 && confirm > 0) await new Promise((r) => setTimeout(r, confirm).unref());
    let removed = 0;
    for (const [studyUid, keys] of suspects) {
      const referenced = confirm > 0 ? await this.index.blobKeysOfStudy(studyUid) : new Set<string>();
      for (const key of keys) {
        if (referenced.has(key)) continue;
        await this.blobs.remove(key);
        removed++;
      }
    }
    return removed;
  }
}

/** After an unclean stop, objects placed but never committed are swept (now, and once more later). */
export async function sweepAfterCrash(
  index: Pick<ArchiveIndex, 'blobKeysOfStudy'>,
  marker: RunningMarker,
  blobs: SweepableBlobs,
  logger: Logger,
  opts: SweepOptions = {},
): Promise<OrphanSweeper> {
  const sweeper = new OrphanSweeper(index, marker, blobs, opts);
  const since = await sweeper.begin();
  if (since !== undefined) {
    const run = () =>
      sweeper.sweep(since).then(
        (removed) => removed > 0 && logger.warn({ removed }, 'removed objects left unindexed by an unclean stop'),
        (err: unknown) => logger.error({ err }, 'orphan sweep failed'),
      );
    void run();
    setTimeout(run, 90_000).unref(); // objects younger than a minute are left for this second pass
  }
  return sweeper;
}
