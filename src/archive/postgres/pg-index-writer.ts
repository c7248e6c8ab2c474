import type pg from 'pg';
import type { ExistingInstance, IndexedResult, IndexedWrite } from '../archive-index.js';
import { instanceRow, patientKey, seriesRow, studyRow } from '../archive-index-rows.js';
import { rejectionNote } from '../rejection-note.js';
import { isRemoteKey } from '../remote.js';
import type { InstanceRecord, InstanceScope, StoredInstance } from '../types.js';
import { finishCommitSql } from './pg-aggregates-sql.js';
import { newSeriesSql } from './pg-series-sql.js';
import { existingSql, lookupSql } from './pg-index-sql.js';

/**
 * The writes of one PgIndex transaction (its studies already locked): the same decisions as
 * SqliteIndex.commitSync — versions kept on record, IOCM rejections, aggregates refreshed,
 * the touched studies queued in the outbox.
 */
export class PgIndexWriter {
  private readonly series = new Set<number>();
  private readonly studies = new Set<number>();
  private readonly changed = new Set<string>();
  /** Series looked up or made in this transaction (their studies locked: they stay until finish()). */
  private readonly seriesByUid = new Map<string, { pk: number; studyPk: number }>();

  constructor(
    private readonly client: pg.PoolClient,
    private readonly t: string,
    private readonly now: number,
  ) {}

  async apply(writes: IndexedWrite[]): Promise<IndexedResult[]> {
    const results: IndexedResult[] = [];
    for (const w of writes) {
      const found = await this.lookup(w.record);
      const result = await this.applyOne(w, found);
      if (result.decision !== 'retry') {
        this.changed.add(w.record.studyUid);
        await this.applyRejections(w.record, found.rejectedBy);
      }
      results.push(result);
    }
    await this.finish('stored');
    return results;
  }

  async delete(scope: InstanceScope, found: StoredInstance[], actor: string, reason: string | undefined) {
    const t = this.t;
    for (const row of found) {
      const existing = await this.existing(row.sopUid);
      if (!existing) continue;
      this.touch(existing);
      await this.removeInstance(row.sopUid);
    }
    const level = scope.sopUid ? 'instance' : scope.seriesUid ? 'series' : 'study';
    await this.q(
      `INSERT INTO ${t}deletions(level, study_uid, series_uid, sop_uid, instances, actor, reason, deleted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        level,
        scope.studyUid,
        scope.seriesUid ?? null,
        scope.sopUid ?? null,
        found.length,
        actor,
        reason ?? null,
        this.now,
      ],
    );
    this.changed.add(scope.studyUid);
    await this.finish('deleted');
    return found.map((r) => r.blobKey);
  }

  private q<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[]) {
    return this.client.query<R>(sql, params);
  }

  private async existing(sopUid: string): Promise<ExistingInstance | undefined> {
    return (await this.q<ExistingInstance>(existingSql(this.t, ' FOR UPDATE OF i'), [sopUid])).rows[0];
  }

  /** The instance's current version, the note that rejected it before it came, and its series' row: one round trip. */
  private async lookup(r: InstanceRecord): Promise<Lookup> {
    const row = (await this.q<LookupRow>(lookupSql(this.t), [r.sopUid, r.seriesUid])).rows[0]!;
    const { rejectedBy, seriesRowPk, seriesRowStudyPk, ...existing } = row;
    return {
      existing: existing.blobKey === null ? undefined : (existing as ExistingInstance),
      rejectedBy: rejectedBy ?? undefined,
      series: seriesRowPk === null ? undefined : { pk: seriesRowPk, studyPk: seriesRowStudyPk! },
    };
  }

  private touch(existing: ExistingInstance): void {
    this.series.add(existing.seriesPk);
    this.studies.add(existing.studyPk);
  }

  private async removeInstance(sopUid: string): Promise<void> {
    await this.q(`DELETE FROM ${this.t}instances WHERE sop_uid = $1`, [sopUid]);
    await this.q(`DELETE FROM ${this.t}ingest_notes WHERE sop_uid = $1`, [sopUid]);
  }

  private async applyOne(w: IndexedWrite, found: Lookup): Promise<IndexedResult> {
    const r = w.record;
    const t = this.t;
    const { existing } = found;
    if ((existing?.blobKey ?? null) !== w.replaces) return { decision: 'retry', version: existing?.version ?? 0 };
    let version = 1;
    const remoteOnly = existing !== undefined && isRemoteKey(existing.blobKey);
    if (existing) {
      // A new version: the old bytes stay, on record in instance_versions (a remote-only record has none).
      if (!remoteOnly)
        await this.q(
          `INSERT INTO ${t}instance_versions(sop_uid, version, blob_key, dataset_offset, replaced_at, source)
           VALUES ($1, $2, $3, $4, $5, $6)`,
          [r.sopUid, existing.version, existing.blobKey, existing.datasetOffset, this.now, r.source],
        );
      this.touch(existing);
      await this.removeInstance(r.sopUid);
      version = remoteOnly ? existing.version : existing.version + 1;
    }
    const seriesPk = await this.ensureSeries(r, found.series);
    this.series.add(seriesPk);
    const i = instanceRow(r);
    // Another instance of ImagingBridge may have stored this SOP Instance since we looked: then decide again.
    const inserted = await this.q(
      `INSERT INTO ${t}instances(sop_uid, series_pk, sop_class_uid, instance_number, rows, columns, bits_allocated,
         number_of_frames, transfer_syntax_uid, blob_key, size, dataset_offset, version, source, metadata, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (sop_uid) DO NOTHING`,
      [
        i.sopUid,
        seriesPk,
        i.sopClassUid,
        i.instanceNumber,
        i.rows,
        i.columns,
        i.bitsAllocated,
        i.numberOfFrames,
        i.transferSyntaxUid,
        i.blobKey,
        i.size,
        i.datasetOffset,
        version,
        i.source,
        i.metadata,
        this.now,
      ],
    );
    if (inserted.rowCount === 0) return { decision: 'retry', version: 0 };
    for (const n of r.notes ?? [])
      await this.q(
        `INSERT INTO ${t}ingest_notes(sop_uid, study_uid, rule, tag, original, corrected, message, source, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.sopUid, r.studyUid, n.rule, n.tag, n.original, n.corrected, n.message, r.source, this.now],
      );
    return { decision: existing && !remoteOnly ? 'new-version' : 'stored', version };
  }

  /** IOCM: a rejection note hides the instances it names (and itself); one named earlier is hidden as it arrives. */
  private async applyRejections(r: InstanceRecord, rejectedBy: string | undefined): Promise<void> {
    const note = rejectionNote(r.sopClassUid, r.json);
    if (note) {
      for (const ref of note.refs) {
        await this.q(
          `INSERT INTO ${this.t}rejections(sop_uid, study_uid, series_uid, note_sop_uid, code, meaning, rejected_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (sop_uid) DO UPDATE SET study_uid = excluded.study_uid, series_uid = excluded.series_uid,
             note_sop_uid = excluded.note_sop_uid, code = excluded.code, meaning = excluded.meaning,
             rejected_at = excluded.rejected_at`,
          [ref.sopUid, ref.studyUid, ref.seriesUid, r.sopUid, note.code, note.meaning, this.now],
        );
        await this.hide(ref.sopUid, r.sopUid);
      }
      await this.hide(r.sopUid, r.sopUid);
      return;
    }
    if (rejectedBy !== undefined) await this.hide(r.sopUid, rejectedBy);
  }

  private async hide(sopUid: string, noteSopUid: string): Promise<void> {
    const existing = await this.existing(sopUid);
    if (!existing) return;
    const t = this.t;
    await this.q(
      `INSERT INTO ${t}rejected_instances(sop_uid, study_uid, series_uid, sop_class_uid, transfer_syntax_uid, blob_key,
         size, version, source, metadata, note_sop_uid, rejected_at)
       SELECT i.sop_uid, st.study_uid, s.series_uid, i.sop_class_uid, i.transfer_syntax_uid, i.blob_key, i.size,
         i.version, i.source, i.metadata, $1, $2
       FROM ${t}instances i JOIN ${t}series s ON s.pk = i.series_pk JOIN ${t}studies st ON st.pk = s.study_pk
       WHERE i.sop_uid = $3`,
      [noteSopUid, this.now, sopUid],
    );
    await this.q(`DELETE FROM ${t}instances WHERE sop_uid = $1`, [sopUid]);
    this.touch(existing);
    this.changed.add(existing.studyUid);
  }

  /**
   * The series' row key, made (with its study) when new: `found` is its row as lookup() saw it
   * (a series made earlier in the batch is known here, and no series row is dropped before finish()).
   */
  private async ensureSeries(r: InstanceRecord, found: SeriesKeys | undefined): Promise<number> {
    const known = this.seriesByUid.get(r.seriesUid) ?? found;
    if (known) {
      this.studies.add(known.studyPk);
      this.seriesByUid.set(r.seriesUid, known);
      return known.pk;
    }
    const { patientId, issuer } = patientKey(r);
    const st = studyRow(r);
    const s = seriesRow(r);
    const row = await this.q<SeriesKeys>(newSeriesSql(this.t), [
      st.studyUid,
      patientId,
      issuer,
      st.patientId,
      st.patientName,
      st.patientNameNorm,
      st.patientNameAltNorm,
      st.birthDate,
      st.sex,
      st.studyDate,
      st.studyTime,
      st.studyTimeRaw,
      st.accession,
      st.studyId,
      st.referringNorm,
      st.referringName,
      st.timezoneOffset,
      st.description,
      st.json,
      this.now,
      s.seriesUid,
      s.modality,
      s.seriesNumber,
      s.description,
      s.ppsDate,
      s.ppsTime,
      s.ppsTimeRaw,
      s.json,
    ]);
    const made = row.rows[0]!;
    this.studies.add(made.studyPk);
    this.seriesByUid.set(r.seriesUid, made);
    return made.pk;
  }

  /** Aggregates of every touched series and study (emptied ones dropped), then the outbox: one statement. */
  private async finish(reason: 'stored' | 'deleted'): Promise<void> {
    await this.q(finishCommitSql(this.t), [[...this.series], [...this.studies], this.now, [...this.changed], reason]);
  }
}

interface SeriesKeys {
  pk: number;
  studyPk: number;
}

interface Lookup {
  existing: ExistingInstance | undefined;
  rejectedBy: string | undefined;
  series: SeriesKeys | undefined;
}

type LookupRow = { [K in keyof ExistingInstance]: ExistingInstance[K] | null } & {
  rejectedBy: string | null;
  seriesRowPk: number | null;
  seriesRowStudyPk: number | null;
};
