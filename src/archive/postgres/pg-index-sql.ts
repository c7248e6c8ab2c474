/** SQL text shared by PgIndex and its writer; `t` is the schema prefix (`archive.`). */
export const joined = (t: string) =>
  `${t}instances i JOIN ${t}series s ON s.pk = i.series_pk JOIN ${t}studies st ON st.pk = s.study_pk`;

/** The current version of an instance; `lock`: ' FOR UPDATE OF i' inside a commit. */
export const existingSql = (t: string, lock: string) =>
  `SELECT i.dataset_offset AS "datasetOffset", i.size, i.version, i.blob_key AS "blobKey", st.study_uid AS "studyUid",
          i.series_pk AS "seriesPk", s.study_pk AS "studyPk"
   FROM ${joined(t)} WHERE i.sop_uid = $1${lock}`;
