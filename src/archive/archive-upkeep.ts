/**
 * What the server keeps in the archive index's database besides the instances: the orphan
 * sweep's running marker, the pack compaction's view of blob keys, the worklist's study facts and
 * the bridge queue's bulk resync. Implementations beside each index (sqlite/sqlite-upkeep.ts,
 * postgres/pg-upkeep.ts), one shared suite (archive-upkeep-suite.ts). Errors of the database
 * reject as they come.
 */
export interface ArchiveUpkeep {
  /**
   * Marks this instance running since `now`. Resolves to when its previous run began if that
   * run did not stop cleanly (never called markStopped), else undefined.
   */
  markRunning(now: number): Promise<number | undefined>;
  /** A clean stop: the next markRunning answers undefined. */
  markStopped(): Promise<void>;
  /** Every row naming a blob key that starts with `prefix` (current, replaced and rejected versions). */
  blobReferences(prefix: string): Promise<BlobReference[]>;
  /**
   * Points every row naming `from` (found by its SOP Instance UIDs and old key) at `to`, all
   * moves in one durable transaction. Returns the moves that changed no row: the instance went
   * (deleted) meanwhile, so the copy must be erased.
   */
  repointBlobKeys(moves: KeyMove[]): Promise<KeyMove[]>;
  /** Requested Procedure Priority and first arrival of a study; undefined when nothing of it is stored. */
  studyFacts(studyUid: string): Promise<StudyFacts | undefined>;
  /** studyFacts of many studies in one read (the worklist's start-up load); keys only for the studies stored. */
  studiesFacts(studyUids: string[]): Promise<Map<string, StudyFacts>>;
  /** Queues the studies for the bridge in one transaction (the same upsert a commit makes). */
  queueForSync(studyUids: string[], reason: string): Promise<void>;
}

/** The index tables whose rows name stored bytes by blob key (current, replaced and rejected versions). */
export const BLOB_KEY_TABLES = ['instances', 'instance_versions', 'rejected_instances'] as const;

export interface BlobReference {
  key: string;
  sop: string;
}

export interface KeyMove {
  from: string;
  to: string;
  sops: Set<string>;
}

export interface StudyFacts {
  priority?: string;
  /** Epoch ms when the study's first stored instance arrived. */
  received?: number;
}

/** The meta key of a per-instance value: the plain key for the only instance (SQLite), else qualified. */
export function instanceKey(key: string, instance: string | undefined): string {
  return instance ? `${key}:${instance}` : key;
}
