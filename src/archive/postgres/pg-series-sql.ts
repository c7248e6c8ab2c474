/** The columns of a new study row after study_uid and patient_pk (text), in studyParams' order. */
const STUDY_COLUMNS = [
  'patient_id',
  'patient_name',
  'patient_name_norm',
  'patient_name_alt_norm',
  'patient_birth_date',
  'patient_sex',
  'study_date',
  'study_time',
  'study_time_raw',
  'accession',
  'study_id',
  'referring_norm',
  'referring_name',
  'timezone_offset',
  'description',
  'json',
];
/** The columns of a new series row after series_uid and study_pk, with their casts. */
const SERIES_COLUMNS: [string, string][] = [
  ['modality', 'text'],
  ['series_number', 'integer'],
  ['description', 'text'],
  ['pps_start_date', 'text'],
  ['pps_start_time', 'text'],
  ['pps_start_time_raw', 'text'],
  ['json', 'text'],
];

const params = (from: number, casts: string[]) => casts.map((c, i) => `$${from + i}::${c}`).join(', ');

/**
 * A new series row in one statement, with its study (and patient) when the study is new: $1 study
 * UID, $2 patient ID, $3 issuer, $4… the STUDY_COLUMNS values, then updated_at, the series UID and
 * the SERIES_COLUMNS values. The patient is upserted only for a new study (as the separate
 * statements did: no identity value spent otherwise). Returns the series' and its study's keys.
 */
export const newSeriesSql = (t: string) => {
  const study = 4;
  const updated = study + STUDY_COLUMNS.length;
  const series = updated + 1;
  return `
WITH found AS (SELECT pk FROM ${t}studies WHERE study_uid = $1::text),
patient AS (
  INSERT INTO ${t}patients(patient_id, issuer) SELECT $2::text, $3::text WHERE NOT EXISTS (SELECT 1 FROM found)
  ON CONFLICT (patient_id, issuer) DO UPDATE SET patient_id = excluded.patient_id RETURNING pk
),
made AS (
  INSERT INTO ${t}studies(study_uid, patient_pk, ${STUDY_COLUMNS.join(', ')}, updated_at)
  SELECT $1::text, patient.pk, ${params(
    study,
    STUDY_COLUMNS.map(() => 'text'),
  )}, $${updated}::bigint FROM patient
  RETURNING pk
),
st AS (SELECT pk FROM found UNION ALL SELECT pk FROM made)
INSERT INTO ${t}series(series_uid, study_pk, ${SERIES_COLUMNS.map(([c]) => c).join(', ')})
SELECT $${series}::text, st.pk, ${params(
    series + 1,
    SERIES_COLUMNS.map(([, c]) => c),
  )} FROM st
RETURNING pk, study_pk AS "studyPk"`;
};
