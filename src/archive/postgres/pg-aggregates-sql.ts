import { outboxConflictSql } from './pg-index-sql.js';

/**
 * The end of a PgIndex commit in one statement ($1 touched series keys, $2 touched study keys,
 * $3 now, $4 changed study UIDs, $5 the outbox reason): each touched series' instance count, an
 * emptied series dropped; each touched study's series, instances and modalities (distinct,
 * non-empty, sorted, `\`-joined), an emptied study dropped; the changed studies queued in the
 * outbox. All parts of one statement read one snapshot, so the study figures take the series
 * counts from `c` (what the series will hold), not from the series rows. The same figures as
 * SqliteIndex's refresh and the bulk loader's (bench/scale-pg-bulk.ts).
 */
export const finishCommitSql = (t: string) => `
WITH c AS (
  SELECT s.pk, (SELECT count(*) FROM ${t}instances i WHERE i.series_pk = s.pk)::int AS n
  FROM ${t}series s WHERE s.pk = ANY($1::bigint[])
),
kept_series AS (
  UPDATE ${t}series s SET num_instances = c.n FROM c WHERE s.pk = c.pk AND c.n > 0
),
dropped_series AS (
  DELETE FROM ${t}series s USING c WHERE s.pk = c.pk AND c.n = 0
),
a AS (
  SELECT st.pk, count(s.pk)::int AS num_series,
         coalesce(sum(coalesce(c.n, s.num_instances)), 0)::int AS num_instances,
         coalesce(string_agg(DISTINCT nullif(s.modality, ''), '\\' ORDER BY nullif(s.modality, '')), '') AS modalities
  FROM ${t}studies st
  LEFT JOIN (${t}series s LEFT JOIN c ON c.pk = s.pk) ON s.study_pk = st.pk AND (c.n IS NULL OR c.n > 0)
  WHERE st.pk = ANY($2::bigint[])
  GROUP BY st.pk
),
kept_studies AS (
  UPDATE ${t}studies st SET num_series = a.num_series, num_instances = a.num_instances, modalities = a.modalities,
    updated_at = $3::bigint
  FROM a WHERE st.pk = a.pk AND a.num_series > 0
),
dropped_studies AS (
  DELETE FROM ${t}studies st USING a WHERE st.pk = a.pk AND a.num_series = 0
)
INSERT INTO ${t}sync_outbox(study_uid, first_changed_at, changed_at, reason)
SELECT u, $3::bigint, $3::bigint, $5::text FROM unnest($4::text[]) AS u
${outboxConflictSql(t)}`;
