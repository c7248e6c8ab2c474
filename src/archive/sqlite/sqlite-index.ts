import { CoalescedSync } from '../../core/coalesced-sync.js';
import { fdatasyncWal } from '../../core/sqlite-wal-sync.js';
import type Database from 'better-sqlite3';
import { openSqlite, type SqliteKeys } from '../../core/sqlite-open.js';
import { boundPageCache, PAGE_CACHE_KIB } from '../../core/sqlite-cache.js';
import { instanceRow, patientKey, seriesRow, studyRow } from '../archive-index-rows.js';
import type { InstanceRecord, InstanceScope, JournalMark, StoredInstance } from '../types.js';
import type {
  ArchiveIndex,
  CommitOptions,
  CommitReceipt,
  Durability,
  ExistingInstance,
  IndexedResult,
  IndexedWrite,
  UnconfirmedBlob,
  InstanceMetadata,
  ScopeVersion,
} from '../archive-index.js';
import { OUTBOX_UPSERT, SCHEMA, SCHEMA_VERSION } from './schema.js';
import { addMissingColumns } from './migrate.js';
import { rejectionNote } from '../rejection-note.js';
import { isRemoteKey } from '../remote.js';
import { privateSqlite } from '../../core/private-files.js';
import { DurabilityLatch } from '../durability-latch.js';

/** What one batch touched: the aggregates to refresh, the studies to sync, and whether rows were removed. */
interface Touched {
  series: Set<number>;
  studies: Set<number>;
  changed: Set<string>;
  removed: boolean;
}

/**
 * The archive index in SQLite (WAL, synchronous=FULL: a commit is on disk when it returns),
 * except commits made with synchronous=NORMAL: `journaled` ones (a crash may lose them, and the
 * blob journal brings them back at start) and `grouped` ones, whose `durable` is an fdatasync of
 * the WAL on the thread pool, shared by concurrent commits. Writes arrive in batches (group
 * commit) and keep study/series aggregates current. The methods of ArchiveIndex run at once on
 * the calling thread; the `…Sync` ones are for tools and tests that hold the concrete index.
 */
export class SqliteIndex implements ArchiveIndex {
  /**
   * The database file, shared with the stores that live beside the index (bridge outbox,
   * write journal and quarantine, sources state, study links, pack references): they are
   * given it by main.ts, never through the Archive.
   */
  readonly db: Database.Database;
  private readonly stmts;
  private readonly walSync = new CoalescedSync(() => fdatasyncWal(this.db.name));
  private readonly latch = new DurabilityLatch();
  /** applyBatch in one transaction, wrapped once (a `db.transaction` wrapper per commit was measurable). */
  private readonly applyAll: Database.Transaction<(writes: IndexedWrite[]) => IndexedResult[]>;

  /** `keys`: the database is encrypted at rest (core/sqlite-open.ts). */
  constructor(path: string, keys?: SqliteKeys) {
    this.db = openSqlite(path, keys);
    this.db.pragma('journal_mode = WAL');
    privateSqlite(path);
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    boundPageCache(this.db, PAGE_CACHE_KIB.archiveIndex);
    this.db.exec(SCHEMA);
    addMissingColumns(this.db);
    this.db
      .prepare('INSERT OR IGNORE INTO meta(key, value) VALUES (?, ?)')
      .run('schema_version', String(SCHEMA_VERSION));
    const db = this.db;
    this.stmts = {
      holdsBlob: db.prepare(
        `SELECT 1 FROM instances WHERE sop_uid = @sopUid AND blob_key = @blobKey
         UNION ALL SELECT 1 FROM instance_versions WHERE sop_uid = @sopUid AND blob_key = @blobKey
         UNION ALL SELECT 1 FROM rejected_instances WHERE sop_uid = @sopUid AND blob_key = @blobKey LIMIT 1`,
      ),
      existing: db.prepare(
        `SELECT i.dataset_offset AS datasetOffset, i.size, i.version, i.blob_key AS blobKey, st.study_uid AS studyUid,
                i.series_pk AS seriesPk, s.study_pk AS studyPk
         FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk WHERE i.sop_uid = ?`,
      ),
      patient: db.prepare(
        `INSERT INTO patients(patient_id, issuer) VALUES (?, ?) ON CONFLICT(patient_id, issuer) DO UPDATE SET patient_id = excluded.patient_id RETURNING pk`,
      ),
      studyPk: db.prepare('SELECT pk FROM studies WHERE study_uid = ?'),
      studyCount: db.prepare('SELECT num_instances AS n FROM studies WHERE study_uid = ?'),
      insertStudy: db.prepare(
        `INSERT INTO studies(study_uid, patient_pk, patient_id, patient_name, patient_name_norm, patient_name_alt_norm,
           patient_birth_date, patient_sex, study_date, study_time, study_time_raw, accession, study_id, referring_norm, referring_name,
           timezone_offset, description, json, updated_at)
         VALUES (@studyUid, @patientPk, @patientId, @patientName, @patientNameNorm, @patientNameAltNorm, @birthDate, @sex,
           @studyDate, @studyTime, @studyTimeRaw, @accession, @studyId, @referringNorm, @referringName, @timezoneOffset,
           @description, @json, @now) RETURNING pk`,
      ),
      seriesPk: db.prepare('SELECT pk, study_pk AS studyPk FROM series WHERE series_uid = ?'),
      insertSeries: db.prepare(
        `INSERT INTO series(series_uid, study_pk, modality, series_number, description, pps_start_date, pps_start_time, pps_start_time_raw, json)
         VALUES (@seriesUid, @studyPk, @modality, @seriesNumber, @description, @ppsDate, @ppsTime, @ppsTimeRaw, @json) RETURNING pk`,
      ),
      insertInstance: db.prepare(
        `INSERT INTO instances(sop_uid, series_pk, sop_class_uid, instance_number, rows, columns, bits_allocated, number_of_frames,
           transfer_syntax_uid, blob_key, size, dataset_offset, version, source, metadata, created_at)
         VALUES (@sopUid, @seriesPk, @sopClassUid, @instanceNumber, @rows, @columns, @bitsAllocated, @numberOfFrames,
           @transferSyntaxUid, @blobKey, @size, @datasetOffset, @version, @source, @metadata, @now)`,
      ),
      deleteInstanceBySop: db.prepare('DELETE FROM instances WHERE sop_uid = ?'),
      deleteNotes: db.prepare('DELETE FROM ingest_notes WHERE sop_uid = ?'),
      insertNote: db.prepare(
        `INSERT INTO ingest_notes(sop_uid, study_uid, rule, tag, original, corrected, message, source, created_at)
         VALUES (@sopUid, @studyUid, @rule, @tag, @original, @corrected, @message, @source, @now)`,
      ),
      recordVersion: db.prepare(
        `INSERT INTO instance_versions(sop_uid, version, blob_key, dataset_offset, replaced_at, source) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      seriesAggregate: db.prepare(
        'UPDATE series SET num_instances = (SELECT count(*) FROM instances WHERE series_pk = @pk) WHERE pk = @pk',
      ),
      studyAggregate: db.prepare(
        `UPDATE studies SET
           num_series = (SELECT count(*) FROM series WHERE study_pk = @pk),
           num_instances = (SELECT coalesce(sum(num_instances), 0) FROM series WHERE study_pk = @pk),
           modalities = (SELECT coalesce(group_concat(m, '\\'), '') FROM (SELECT DISTINCT modality AS m FROM series WHERE study_pk = @pk AND modality <> '' ORDER BY modality)),
           updated_at = @now
         WHERE pk = @pk`,
      ),
      dropEmptySeries: db.prepare('DELETE FROM series WHERE pk = ? AND num_instances = 0'),
      dropEmptyStudy: db.prepare('DELETE FROM studies WHERE pk = ? AND num_series = 0'),
      enqueueSync: db.prepare(OUTBOX_UPSERT),
      writeMark: db.prepare(
        "INSERT INTO meta(key, value) VALUES ('journal_mark', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      ),
      insertUnconfirmed: db.prepare(
        'INSERT OR REPLACE INTO unconfirmed_blobs(blob_key, sop_uid, segment, offset) VALUES (?, ?, ?, ?)',
      ),
      clearUnconfirmed: db.prepare(
        'DELETE FROM unconfirmed_blobs WHERE segment < @segment OR (segment = @segment AND offset < @offset)',
      ),
      isRejected: db.prepare('SELECT note_sop_uid AS noteSopUid FROM rejections WHERE sop_uid = ?'),
      recordRejection: db.prepare(
        `INSERT OR REPLACE INTO rejections(sop_uid, study_uid, series_uid, note_sop_uid, code, meaning, rejected_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      moveRejected: db.prepare(
        `INSERT INTO rejected_instances(sop_uid, study_uid, series_uid, sop_class_uid, transfer_syntax_uid, blob_key, size, version, source, metadata, note_sop_uid, rejected_at)
         SELECT i.sop_uid, st.study_uid, s.series_uid, i.sop_class_uid, i.transfer_syntax_uid, i.blob_key, i.size, i.version, i.source, i.metadata, ?, ?
         FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk WHERE i.sop_uid = ?`,
      ),
    };
    this.applyAll = db.transaction((writes: IndexedWrite[]) => this.applyBatch(writes));
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  /**
   * Set by the first failed sync of the index (its WAL or the journal mark's commit): from then
   * on what the disk holds is unknown until a restart reads it again (docs/journal-recovery.md),
   * so no later write is accepted — fail-stop, as PostgreSQL does after a failed fsync.
   */
  get durabilityLost(): Error | undefined {
    return this.latch.lost;
  }

  /** `listener` hears the first loss of durability once (main.ts stops the server on it). */
  onDurabilityLost(listener: (err: Error) => void): void {
    this.latch.onLost(listener);
  }

  findInstance(sopUid: string): Promise<ExistingInstance | undefined> {
    return settled(() => this.existing(sopUid));
  }

  private existing(sopUid: string): ExistingInstance | undefined {
    return this.stmts.existing.get(sopUid) as ExistingInstance | undefined;
  }

  commit(writes: IndexedWrite[], options: CommitOptions = {}): Promise<CommitReceipt> {
    const durability = options.durability ?? 'synced';
    return settled(() => {
      const results = this.commitSync(writes, durability);
      return { results, durable: durability === 'grouped' && writes.length > 0 ? this.syncWal() : Promise.resolve() };
    });
  }

  /** commit() without the promise: the results of a committed batch (its durability as asked, but `grouped` is not synced). */
  commitSync(writes: IndexedWrite[], durability: Durability = 'synced'): IndexedResult[] {
    this.latch.assertWritable();
    if (writes.length === 0 || durability === 'synced') return this.applyAll.immediate(writes);
    this.unsynced(true);
    try {
      return this.applyAll.immediate(writes);
    } finally {
      this.unsynced(false);
    }
  }

  private applyBatch(writes: IndexedWrite[]): IndexedResult[] {
    const now = Date.now();
    const touched: Touched = { series: new Set(), studies: new Set(), changed: new Set(), removed: false };
    const results = writes.map((w) => {
      const result = this.applyOne(w, now, touched);
      if (result.decision !== 'retry' && w.unconfirmed)
        this.stmts.insertUnconfirmed.run(
          w.record.blobKey,
          w.record.sopUid,
          w.unconfirmed.segment,
          w.unconfirmed.offset,
        );
      if (result.decision !== 'retry') {
        touched.changed.add(w.record.studyUid);
        this.applyRejections(w.record, now, touched);
      }
      return result;
    });
    this.refreshAggregates(touched.series, touched.studies, now, touched.removed);
    for (const studyUid of touched.changed) this.stmts.enqueueSync.run({ studyUid, now, reason: 'stored' });
    return results;
  }

  /**
   * synchronous=NORMAL for the next statement(s), or back to FULL. `exec`, not `pragma()`: no
   * statement object per call (≈ 4× cheaper, twice per grouped commit). Not a statement prepared
   * once: SQLite applies this pragma when it compiles it, so a prepared one does not re-apply on run.
   */
  private unsynced(on: boolean): void {
    this.db.exec(on ? 'PRAGMA synchronous = NORMAL' : 'PRAGMA synchronous = FULL');
  }

  /** Every commit made so far is durable when this resolves. */
  private syncWal(): Promise<void> {
    if (this.latch.lost) return Promise.reject(this.latch.lost);
    return this.walSync.sync().catch((e: unknown) => {
      this.latch.lose(e);
      throw e;
    });
  }

  journalMark(): Promise<JournalMark> {
    return settled(() => this.journalMarkSync());
  }

  journalMarkSync(): JournalMark {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'journal_mark'").get() as
      | { value: string }
      | undefined;
    const [segment, offset] = (row?.value ?? '0:0').split(':').map(Number);
    return { segment: segment ?? 0, offset: offset ?? 0 };
  }

  /**
   * The mark is committed unsynced and made durable by the WAL's fdatasync on the thread pool
   * (shared with grouped commits): once a second under C-STORE load, the main thread no longer
   * waits on the disk for it. The WAL is one ordered file, so the mark never outlives a commit before it.
   */
  checkpoint(mark: JournalMark): Promise<void> {
    if (this.latch.lost) return Promise.reject(this.latch.lost);
    try {
      this.unsynced(true);
      try {
        this.stmts.writeMark.run(`${mark.segment}:${mark.offset}`);
        this.stmts.clearUnconfirmed.run(mark);
      } finally {
        this.unsynced(false);
      }
    } catch (e) {
      this.latch.lose(e);
      return Promise.reject(e);
    }
    return this.syncWal();
  }

  /** Record the journal mark, synced: every unsynced commit before it becomes durable too (one WAL). */
  checkpointSync(mark: JournalMark): void {
    this.db.transaction(() => {
      this.stmts.writeMark.run(`${mark.segment}:${mark.offset}`);
      this.stmts.clearUnconfirmed.run(mark);
    })();
  }

  unconfirmedBlobs(): Promise<UnconfirmedBlob[]> {
    return settled(
      () => this.db.prepare('SELECT blob_key AS key, sop_uid AS sop FROM unconfirmed_blobs').all() as UnconfirmedBlob[],
    );
  }

  dropUnconfirmed(blobs: UnconfirmedBlob[]): Promise<number> {
    return settled(() => this.dropUnconfirmedSync(blobs));
  }

  private dropUnconfirmedSync(blobs: UnconfirmedBlob[]): number {
    this.latch.assertWritable();
    const run = this.db.transaction(() => {
      const now = Date.now();
      const touched: Touched = { series: new Set(), studies: new Set(), changed: new Set(), removed: true };
      const rejected = this.db.prepare(
        'DELETE FROM rejected_instances WHERE sop_uid = ? AND blob_key = ? RETURNING study_uid AS studyUid',
      );
      const forget = this.db.prepare('DELETE FROM unconfirmed_blobs WHERE blob_key = ?');
      let removed = 0;
      for (const { key, sop } of blobs) {
        const existing = this.existing(sop);
        if (existing?.blobKey === key) {
          this.stmts.deleteInstanceBySop.run(sop);
          this.stmts.deleteNotes.run(sop);
          touched.series.add(existing.seriesPk);
          touched.studies.add(existing.studyPk);
          touched.changed.add(existing.studyUid);
          removed++;
        }
        for (const r of rejected.all(sop, key) as { studyUid: string }[]) {
          touched.changed.add(r.studyUid);
          removed++;
        }
        forget.run(key);
      }
      this.refreshAggregates(touched.series, touched.studies, now, true);
      for (const studyUid of touched.changed) this.stmts.enqueueSync.run({ studyUid, now, reason: 'recovered' });
      return removed;
    });
    return run.immediate();
  }

  holdsBlob(sopUid: string, blobKey: string): Promise<boolean> {
    return settled(() => this.stmts.holdsBlob.get({ sopUid, blobKey }) !== undefined);
  }

  private applyOne(w: IndexedWrite, now: number, touched: Touched): IndexedResult {
    const r = w.record;
    const existing = this.existing(r.sopUid);
    let version = 1;
    if ((existing?.blobKey ?? null) !== w.replaces) return { decision: 'retry', version: existing?.version ?? 0 };
    if (existing) {
      // A new version: the old bytes stay on disk, on record in instance_versions. A
      // remote-only record (isRemoteKey) has no bytes to keep: the local copy takes its place.
      const remoteOnly = isRemoteKey(existing.blobKey);
      if (!remoteOnly)
        this.stmts.recordVersion.run(
          r.sopUid,
          existing.version,
          existing.blobKey,
          existing.datasetOffset,
          now,
          r.source,
        );
      touched.series.add(existing.seriesPk);
      touched.studies.add(existing.studyPk);
      touched.removed = true;
      this.stmts.deleteInstanceBySop.run(r.sopUid);
      this.stmts.deleteNotes.run(r.sopUid); // the notes were about the version replaced
      version = remoteOnly ? existing.version : existing.version + 1;
    }
    const seriesPk = this.ensureSeries(r, now, touched.studies);
    touched.series.add(seriesPk);
    this.stmts.insertInstance.run({ ...instanceRow(r), seriesPk, version, now });
    for (const n of r.notes ?? [])
      this.stmts.insertNote.run({ ...n, sopUid: r.sopUid, studyUid: r.studyUid, source: r.source, now });
    return { decision: existing && !isRemoteKey(existing.blobKey) ? 'new-version' : 'stored', version };
  }

  /**
   * IOCM: a rejection note hides the instances it names (and itself); an instance named by an
   * earlier note is hidden as it arrives. Hidden rows move to rejected_instances, files stay.
   */
  private applyRejections(r: InstanceRecord, now: number, touched: Touched): void {
    const note = rejectionNote(r.sopClassUid, r.json);
    if (note) {
      for (const ref of note.refs) {
        this.stmts.recordRejection.run(ref.sopUid, ref.studyUid, ref.seriesUid, r.sopUid, note.code, note.meaning, now);
        this.hide(ref.sopUid, r.sopUid, now, touched);
      }
      this.hide(r.sopUid, r.sopUid, now, touched);
      return;
    }
    const earlier = this.stmts.isRejected.get(r.sopUid) as { noteSopUid: string } | undefined;
    if (earlier) this.hide(r.sopUid, earlier.noteSopUid, now, touched);
  }

  private hide(sopUid: string, noteSopUid: string, now: number, touched: Touched): void {
    const existing = this.existing(sopUid);
    if (!existing) return;
    this.stmts.moveRejected.run(noteSopUid, now, sopUid);
    this.stmts.deleteInstanceBySop.run(sopUid);
    touched.series.add(existing.seriesPk);
    touched.studies.add(existing.studyPk);
    touched.changed.add(existing.studyUid);
    touched.removed = true;
  }

  private ensureSeries(r: InstanceRecord, now: number, touchedStudies: Set<number>): number {
    const found = this.stmts.seriesPk.get(r.seriesUid) as { pk: number; studyPk: number } | undefined;
    if (found) {
      touchedStudies.add(found.studyPk);
      return found.pk;
    }
    const studyPk = this.ensureStudy(r, now);
    touchedStudies.add(studyPk);
    const row = this.stmts.insertSeries.get({ ...seriesRow(r), studyPk }) as { pk: number };
    return row.pk;
  }

  private ensureStudy(r: InstanceRecord, now: number): number {
    const found = this.stmts.studyPk.get(r.studyUid) as { pk: number } | undefined;
    if (found) return found.pk;
    const { patientId, issuer } = patientKey(r);
    const patient = this.stmts.patient.get(patientId, issuer) as { pk: number };
    const row = this.stmts.insertStudy.get({ ...studyRow(r), patientPk: patient.pk, now }) as { pk: number };
    return row.pk;
  }

  /**
   * Counts and modalities of the touched series and studies. Only a batch that removed rows (a
   * version replaced, an instance hidden, a delete) can have left one empty: a series or study
   * touched by inserts alone holds what was inserted, so the two drops per instance are skipped.
   */
  private refreshAggregates(series: Set<number>, studies: Set<number>, now: number, removed: boolean): void {
    for (const pk of series) {
      this.stmts.seriesAggregate.run({ pk });
      if (removed) this.stmts.dropEmptySeries.run(pk);
    }
    for (const pk of studies) {
      this.stmts.studyAggregate.run({ pk, now });
      if (removed) this.stmts.dropEmptyStudy.run(pk);
    }
  }

  instances(scope: InstanceScope): Promise<StoredInstance[]> {
    return settled(() => this.instancesSync(scope));
  }

  metadata(scope: InstanceScope): Promise<InstanceMetadata[]> {
    return settled(() => this.metadataSync(scope));
  }

  scopeVersion(scope: InstanceScope): Promise<ScopeVersion> {
    return settled(() => this.scopeVersionSync(scope));
  }

  studyInstanceCount(studyUid: string): Promise<number> {
    return settled(() => (this.stmts.studyCount.get(studyUid) as { n: number } | undefined)?.n ?? 0);
  }

  delete(scope: InstanceScope, actor: string, reason: string | undefined): Promise<string[]> {
    return settled(() => this.deleteSync(scope, actor, reason));
  }

  blobKeysOfStudy(studyUid: string): Promise<Set<string>> {
    return settled(() => this.blobKeysOfStudySync(studyUid));
  }

  check(): Promise<{ instances: number }> {
    return settled(() => this.db.prepare('SELECT count(*) AS instances FROM instances').get() as { instances: number });
  }

  /** Stored instances in a scope, in series then instance order. */
  instancesSync(scope: InstanceScope): StoredInstance[] {
    const { where, params } = scopeWhere(scope);
    return this.db
      .prepare(
        `SELECT st.study_uid AS studyUid, s.series_uid AS seriesUid, i.sop_uid AS sopUid, i.sop_class_uid AS sopClassUid,
                i.transfer_syntax_uid AS transferSyntaxUid, i.blob_key AS blobKey, i.size,
                coalesce(i.number_of_frames, 1) AS numberOfFrames
         FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk
         WHERE ${where} ORDER BY s.series_number, s.pk, i.instance_number, i.pk`,
      )
      .all(params) as StoredInstance[];
  }

  private metadataSync(scope: InstanceScope): InstanceMetadata[] {
    const { where, params } = scopeWhere(scope);
    return this.db
      .prepare(
        `SELECT s.series_uid AS seriesUid, i.sop_uid AS sopUid, i.metadata
         FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk
         WHERE ${where} ORDER BY s.series_number, s.pk, i.instance_number, i.pk`,
      )
      .all(params) as InstanceMetadata[];
  }

  private scopeVersionSync(scope: InstanceScope): ScopeVersion {
    const { where, params } = scopeWhere(scope);
    return this.db
      .prepare(
        `SELECT count(*) AS count, coalesce(max(i.pk), 0) AS lastPk, coalesce(max(i.created_at), 0) AS lastCreated
         FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk WHERE ${where}`,
      )
      .get(params) as ScopeVersion;
  }

  private deleteSync(scope: InstanceScope, actor: string, reason: string | undefined): string[] {
    const run = this.db.transaction(() => {
      const rows = this.instancesSync(scope);
      if (rows.length === 0) return [];
      const now = Date.now();
      const touchedSeries = new Set<number>();
      const touchedStudies = new Set<number>();
      const seriesOf = this.db.prepare('SELECT s.pk, s.study_pk AS studyPk FROM series s WHERE s.series_uid = ?');
      for (const row of rows) {
        const s = seriesOf.get(row.seriesUid) as { pk: number; studyPk: number };
        touchedSeries.add(s.pk);
        touchedStudies.add(s.studyPk);
        this.stmts.deleteInstanceBySop.run(row.sopUid);
        this.stmts.deleteNotes.run(row.sopUid);
      }
      this.refreshAggregates(touchedSeries, touchedStudies, now, true);
      const level = scope.sopUid ? 'instance' : scope.seriesUid ? 'series' : 'study';
      this.db
        .prepare(
          'INSERT INTO deletions(level, study_uid, series_uid, sop_uid, instances, actor, reason, deleted_at) VALUES (?,?,?,?,?,?,?,?)',
        )
        .run(
          level,
          scope.studyUid,
          scope.seriesUid ?? null,
          scope.sopUid ?? null,
          rows.length,
          actor,
          reason ?? null,
          now,
        );
      this.stmts.enqueueSync.run({ studyUid: scope.studyUid, now, reason: 'deleted' });
      return rows.map((r) => r.blobKey);
    });
    return run.immediate();
  }

  private blobKeysOfStudySync(studyUid: string): Set<string> {
    const rows = this.db
      .prepare(
        `SELECT i.blob_key AS k FROM instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk WHERE st.study_uid = @studyUid
         UNION SELECT blob_key FROM rejected_instances WHERE study_uid = @studyUid
         UNION SELECT blob_key FROM instance_versions WHERE blob_key LIKE @prefix ESCAPE '\\'`,
      )
      .all({ studyUid, prefix: `%/${studyUid.replace(/[%_\\]/g, '\\$&')}/%` }) as { k: string }[];
    return new Set(rows.map((r) => r.k));
  }
}

/** What `fn` returns or throws, as a promise (the SQLite calls are synchronous). */
export function settled<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

function scopeWhere(scope: InstanceScope): { where: string; params: Record<string, string> } {
  const parts = ['st.study_uid = @studyUid'];
  const params: Record<string, string> = { studyUid: scope.studyUid };
  if (scope.seriesUid) {
    parts.push('s.series_uid = @seriesUid');
    params.seriesUid = scope.seriesUid;
  }
  if (scope.sopUid) {
    parts.push('i.sop_uid = @sopUid');
    params.sopUid = scope.sopUid;
  }
  return { where: parts.join(' AND '), params };
}
