import type { InstanceRecord, InstanceScope, JournalMark, StoredInstance } from './types.js';

/**
 * The archive index: which instances are stored, where their bytes are, and the study/series
 * aggregates QIDO and C-FIND answer from. Implementations: SQLite (sqlite/sqlite-index.ts);
 * PostgreSQL next (issue 22). Every commit that changes a study also records it in the bridge
 * outbox in the same transaction (the transactional outbox): no stored instance is missed by
 * the DICOM → FHIR sync, whatever crashes when.
 *
 * Errors: a write refused because durability was lost (see durabilityLost) is a StoreError
 * 0xA700; other failures of the database reject as they come (the archive turns them into a
 * StoreError for its caller).
 */
export interface ArchiveIndex {
  /** The current version of an instance, or undefined when none is indexed. */
  findInstance(sopUid: string): Promise<ExistingInstance | undefined>;
  /**
   * One transaction for the whole batch; each write decided against what is committed before
   * it (a write whose `replaces` no longer matches answers `retry`, changing nothing).
   * Resolves once the results are visible to readers; `durable` of the receipt tells when
   * they survive a crash, as `options.durability` asks.
   */
  commit(writes: IndexedWrite[], options?: CommitOptions): Promise<CommitReceipt>;
  /** Does the index refer to these bytes (as the current, a replaced or a rejected version)? */
  holdsBlob(sopUid: string, blobKey: string): Promise<boolean>;
  /** Stored instances in a scope, in series then instance order. */
  instances(scope: InstanceScope): Promise<StoredInstance[]>;
  /** Serialized metadata of each instance in scope (same order), with the UIDs its URLs need. */
  metadata(scope: InstanceScope): Promise<InstanceMetadata[]>;
  /** Changes whenever an instance in scope is added, replaced or removed (WADO-RS metadata ETag). */
  scopeVersion(scope: InstanceScope): Promise<ScopeVersion>;
  /** Instances held in a study (its aggregate); 0 when the study is unknown. */
  studyInstanceCount(studyUid: string): Promise<number>;
  /**
   * Administrative deletion: removes the instances in scope, records the deletion and queues
   * the study for the bridge, in one transaction; returns their blob keys (the caller removes
   * the bytes after).
   */
  delete(scope: InstanceScope, actor: string, reason: string | undefined): Promise<string[]>;
  /** Every blob key the index refers to within one study (current, replaced and rejected versions). */
  blobKeysOfStudy(studyUid: string): Promise<Set<string>>;
  /** Where the blob journal must be read from after a crash (0/0: from its beginning). */
  journalMark(): Promise<JournalMark>;
  /**
   * Records the journal mark durably; every commit made before it becomes durable with it
   * (those of `durability: 'journaled'` included). A failure here loses durability.
   */
  checkpoint(mark: JournalMark): Promise<void>;
  /**
   * Set by the first failed sync (a grouped commit's or a checkpoint's): from then on what the
   * disk holds is unknown until a restart reads it again (docs/journal-recovery.md), so every
   * later commit is refused — fail-stop, as PostgreSQL does after a failed fsync.
   */
  readonly durabilityLost: Error | undefined;
  /** `listener` hears the first loss of durability once (main.ts stops the server on it). */
  onDurabilityLost(listener: (err: Error) => void): void;
  /**
   * Present when the index can take writes whose journal record is not durable yet
   * (IndexedWrite.unconfirmed): the keys of such rows still above the journal mark.
   */
  unconfirmedBlobs?(): Promise<UnconfirmedBlob[]>;
  /**
   * Recovery found these objects' journal records missing or torn: the rows that name them
   * (current or rejected versions) go, with the series/study aggregates refreshed and the
   * studies queued for the bridge, and so do their entries — one synced transaction. Such rows
   * were never acknowledged (the answer waits for the record's sync). Returns the rows removed.
   */
  dropUnconfirmed?(blobs: UnconfirmedBlob[]): Promise<number>;
  /** Probe used by /health: throws when the index cannot be read. */
  check(): Promise<{ instances: number }>;
  /** Idempotent. */
  close(): Promise<void>;
}

/**
 * - `synced` (default): durable when commit() resolves.
 * - `grouped`: commit() resolves once the results are visible; the receipt's `durable` resolves
 *   once a sync shared with concurrent commits is done (the caller acknowledges after it). A
 *   failed sync loses durability.
 * - `journaled`: the blob journal can redo these writes after a crash (BlobJournal); they become
 *   durable with the next checkpoint(), and `durable` resolves at once.
 */
export type Durability = 'synced' | 'grouped' | 'journaled';

export interface CommitOptions {
  durability?: Durability;
}

export interface CommitReceipt {
  /** One per write, in order. */
  results: IndexedResult[];
  durable: Promise<void>;
}

/** `retry`: the instance changed since the caller looked (a concurrent store); look again. */
export type IndexDecision = 'stored' | 'new-version' | 'retry';

export interface IndexedResult {
  decision: IndexDecision;
  version: number;
}

export interface IndexedWrite {
  record: InstanceRecord;
  /** Blob key of the version the caller decided to replace; null when it saw none. */
  replaces: string | null;
  /** The blob store's journal holds this write's object (PlacedBlob.journaled): see Durability. */
  journaled?: boolean;
  /**
   * Where the object's journal record starts, when its sync is still in flight as this commits
   * (PlacedBlob.durable; only for indexes with dropUnconfirmed): the key stays among the
   * unconfirmed ones until a checkpoint's mark passes this position.
   */
  unconfirmed?: JournalMark;
}

export interface UnconfirmedBlob {
  key: string;
  sop: string;
}

export interface ExistingInstance {
  datasetOffset: number;
  size: number;
  version: number;
  blobKey: string;
  studyUid: string;
  seriesPk: number;
  studyPk: number;
}

export interface InstanceMetadata {
  seriesUid: string;
  sopUid: string;
  metadata: string;
}

export interface ScopeVersion {
  count: number;
  lastPk: number;
  lastCreated: number;
}
