/** SQL text shared by PgIndex and its writer; `t` is the schema prefix (`archive.`). */
export const joined = (t: string) =>
  `${t}instances i JOIN ${t}series s ON s.pk = i.series_pk JOIN ${t}studies st ON st.pk = s.study_pk`;

/** The current version of an instance; `lock`: ' FOR UPDATE OF i' inside a commit. */
export const existingSql = (t: string, lock: string) =>
  `SELECT i.dataset_offset AS "datasetOffset", i.size, i.version, i.blob_key AS "blobKey", st.study_uid AS "studyUid",
          i.series_pk AS "seriesPk", s.study_pk AS "studyPk"
   FROM ${joined(t)} WHERE i.sop_uid = $1${lock}`;

/**
 * What a commit looks up before it stores an instance, in one round trip ($1 SOP Instance UID,
 * $2 Series Instance UID); always one row: the current version (locked; its columns null when
 * there is none, as existingSql's), the rejection note that named the instance before it came,
 * and the row of its series if that exists.
 */
export const lookupSql = (t: string) =>
  `SELECT e.*, (SELECT note_sop_uid FROM ${t}rejections WHERE sop_uid = $1) AS "rejectedBy",
          ser.pk AS "seriesRowPk", ser.study_pk AS "seriesRowStudyPk"
   FROM (VALUES (1)) AS one(x)
   LEFT JOIN (${existingSql(t, ' FOR UPDATE OF i')}) e ON true
   LEFT JOIN ${t}series ser ON ser.series_uid = $2`;

/** What a later change to a queued study does to its outbox row: `seq` bumped, a dead letter lives again. */
export const outboxConflictSql = (t: string) =>
  `ON CONFLICT (study_uid) DO UPDATE SET seq = ${t}sync_outbox.seq + 1, changed_at = excluded.changed_at,
     reason = excluded.reason,
     attempts = CASE WHEN ${t}sync_outbox.dead THEN 0 ELSE ${t}sync_outbox.attempts END,
     next_attempt_at = CASE WHEN ${t}sync_outbox.dead THEN 0 ELSE ${t}sync_outbox.next_attempt_at END,
     dead = false`;

/** Queues a study for the bridge ($1 study UID, $2 now, $3 reason): a later change bumps `seq`, a dead letter lives again. */
export const outboxUpsertSql = (t: string) =>
  `INSERT INTO ${t}sync_outbox(study_uid, first_changed_at, changed_at, reason) VALUES ($1, $2, $2, $3)
   ${outboxConflictSql(t)}`;
