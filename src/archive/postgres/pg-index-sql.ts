/** SQL text shared by PgIndex and its writer; `t` is the schema prefix (`archive.`). */
export const joined = (t: string) =>
  `${t}instances i JOIN ${t}series s ON s.pk = i.series_pk JOIN ${t}studies st ON st.pk = s.study_pk`;

/** The current version of an instance; `lock`: ' FOR UPDATE OF i' inside a commit. */
export const existingSql = (t: string, lock: string) =>
  `SELECT i.dataset_offset AS "datasetOffset", i.size, i.version, i.blob_key AS "blobKey", st.study_uid AS "studyUid",
          i.series_pk AS "seriesPk", s.study_pk AS "studyPk"
   FROM ${joined(t)} WHERE i.sop_uid = $1${lock}`;

/** Queues a study for the bridge ($1 study UID, $2 now, $3 reason): a later change bumps `seq`, a dead letter lives again. */
export const outboxUpsertSql = (t: string) =>
  `INSERT INTO ${t}sync_outbox(study_uid, first_changed_at, changed_at, reason) VALUES ($1, $2, $2, $3)
   ON CONFLICT (study_uid) DO UPDATE SET seq = ${t}sync_outbox.seq + 1, changed_at = excluded.changed_at,
     reason = excluded.reason,
     attempts = CASE WHEN ${t}sync_outbox.dead THEN 0 ELSE ${t}sync_outbox.attempts END,
     next_attempt_at = CASE WHEN ${t}sync_outbox.dead THEN 0 ELSE ${t}sync_outbox.next_attempt_at END,
     dead = false`;
