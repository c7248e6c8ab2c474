/** The SQLite index of the archive. Aggregates (counts, modalities) are kept current on write. */
export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS patients (
  pk INTEGER PRIMARY KEY,
  patient_id TEXT NOT NULL,
  issuer TEXT NOT NULL DEFAULT '',
  UNIQUE (patient_id, issuer)
);

CREATE TABLE IF NOT EXISTS studies (
  pk INTEGER PRIMARY KEY,
  study_uid TEXT NOT NULL UNIQUE,
  patient_pk INTEGER NOT NULL REFERENCES patients(pk),
  patient_id TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL DEFAULT '',     -- Alphabetic=Ideographic=Phonetic
  patient_name_norm TEXT NOT NULL DEFAULT '',-- lower-cased Alphabetic group
  patient_name_alt_norm TEXT NOT NULL DEFAULT '', -- lower-cased full value, all groups
  patient_birth_date TEXT NOT NULL DEFAULT '',
  patient_sex TEXT NOT NULL DEFAULT '',
  study_date TEXT NOT NULL DEFAULT '',
  study_time TEXT NOT NULL DEFAULT '',       -- normalised HHMMSS.FFFFFF
  study_time_raw TEXT NOT NULL DEFAULT '',   -- as received, for QIDO answers
  accession TEXT NOT NULL DEFAULT '',
  study_id TEXT NOT NULL DEFAULT '',
  referring_norm TEXT NOT NULL DEFAULT '',
  referring_name TEXT NOT NULL DEFAULT '',   -- Alphabetic=Ideographic=Phonetic
  timezone_offset TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  modalities TEXT NOT NULL DEFAULT '',       -- backslash-separated, sorted
  num_series INTEGER NOT NULL DEFAULT 0,
  num_instances INTEGER NOT NULL DEFAULT 0,
  json TEXT NOT NULL,                        -- study and patient level attributes (DICOM JSON)
  updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS studies_patient_id ON studies(patient_id);
CREATE INDEX IF NOT EXISTS studies_patient_name ON studies(patient_name_norm);
CREATE INDEX IF NOT EXISTS studies_date ON studies(study_date, study_time);
CREATE INDEX IF NOT EXISTS studies_accession ON studies(accession);
CREATE INDEX IF NOT EXISTS studies_patient_pk ON studies(patient_pk);
CREATE INDEX IF NOT EXISTS studies_study_id ON studies(study_id);
CREATE INDEX IF NOT EXISTS studies_referring ON studies(referring_norm);

CREATE TABLE IF NOT EXISTS series (
  pk INTEGER PRIMARY KEY,
  series_uid TEXT NOT NULL UNIQUE,
  study_pk INTEGER NOT NULL REFERENCES studies(pk),
  modality TEXT NOT NULL DEFAULT '',
  series_number INTEGER,
  description TEXT NOT NULL DEFAULT '',
  pps_start_date TEXT NOT NULL DEFAULT '',
  pps_start_time TEXT NOT NULL DEFAULT '',
  pps_start_time_raw TEXT NOT NULL DEFAULT '',
  num_instances INTEGER NOT NULL DEFAULT 0,
  json TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS series_study ON series(study_pk);
CREATE INDEX IF NOT EXISTS series_modality ON series(modality, study_pk);

CREATE TABLE IF NOT EXISTS instances (
  pk INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL UNIQUE,
  series_pk INTEGER NOT NULL REFERENCES series(pk),
  sop_class_uid TEXT NOT NULL,
  instance_number INTEGER,
  rows INTEGER,
  columns INTEGER,
  bits_allocated INTEGER,
  number_of_frames INTEGER,
  transfer_syntax_uid TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  dataset_offset INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  source TEXT NOT NULL DEFAULT '',
  metadata TEXT NOT NULL,                    -- full DICOM JSON, bulk data as marked BulkDataURI
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_series ON instances(series_pk, instance_number);
CREATE INDEX IF NOT EXISTS instances_sop_class ON instances(sop_class_uid);

-- What was wrong with a received object that was stored anyway (e.g. a File Meta that disagrees
-- with the data set), kept with the current version of the instance; the bridge reports these
-- as data-quality findings of the study.
CREATE TABLE IF NOT EXISTS ingest_notes (
  pk INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  rule TEXT NOT NULL,
  tag TEXT NOT NULL,
  original TEXT NOT NULL,
  corrected TEXT NOT NULL,
  message TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS ingest_notes_sop ON ingest_notes(sop_uid);
CREATE INDEX IF NOT EXISTS ingest_notes_study ON ingest_notes(study_uid);

-- Replaced versions (duplicate policy keep-newest) and deletions are kept on record.
CREATE TABLE IF NOT EXISTS instance_versions (
  pk INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL,
  version INTEGER NOT NULL,
  blob_key TEXT NOT NULL,
  dataset_offset INTEGER NOT NULL,
  replaced_at INTEGER NOT NULL,
  source TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS deletions (
  pk INTEGER PRIMARY KEY,
  level TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  series_uid TEXT,
  sop_uid TEXT,
  instances INTEGER NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  deleted_at INTEGER NOT NULL
);

-- Studies whose FHIR resources must catch up, written in the same transaction as the change
-- (insert, new version, deletion, rejection). seq grows with each change: a sync removes the
-- row only if no change came in meanwhile. dead = parked after a permanent failure.
CREATE TABLE IF NOT EXISTS sync_outbox (
  study_uid TEXT PRIMARY KEY,
  seq INTEGER NOT NULL DEFAULT 1,
  first_changed_at INTEGER NOT NULL,
  changed_at INTEGER NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS sync_outbox_due ON sync_outbox(dead, next_attempt_at);

-- IHE IOCM: instances named by a rejection note (also those not received yet) ...
CREATE TABLE IF NOT EXISTS rejections (
  sop_uid TEXT PRIMARY KEY,
  study_uid TEXT NOT NULL,
  series_uid TEXT NOT NULL,
  note_sop_uid TEXT NOT NULL,
  code TEXT NOT NULL,
  meaning TEXT NOT NULL,
  rejected_at INTEGER NOT NULL
);
-- ... and the rejected instances themselves, moved out of \`instances\` (their files are kept).
CREATE TABLE IF NOT EXISTS rejected_instances (
  pk INTEGER PRIMARY KEY,
  sop_uid TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  series_uid TEXT NOT NULL,
  sop_class_uid TEXT NOT NULL,
  transfer_syntax_uid TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  version INTEGER NOT NULL,
  source TEXT NOT NULL,
  metadata TEXT NOT NULL,
  note_sop_uid TEXT NOT NULL,
  rejected_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rejected_instances_study ON rejected_instances(study_uid);
CREATE INDEX IF NOT EXISTS rejected_instances_sop ON rejected_instances(sop_uid);
CREATE INDEX IF NOT EXISTS instance_versions_sop ON instance_versions(sop_uid);

-- Rows committed while the sync of their journal record (a pack append) was in flight: a restart
-- after a power cut checks that record before keeping the row (docs/journal-recovery.md). A
-- checkpoint clears those below its journal mark (their records were durable before it moved).
CREATE TABLE IF NOT EXISTS unconfirmed_blobs (
  blob_key TEXT PRIMARY KEY,
  sop_uid TEXT NOT NULL,
  segment INTEGER NOT NULL,
  offset INTEGER NOT NULL
);
`;

/** Marks a study for the FHIR sync (insert or bump); a parked (dead) row becomes due again. */
export const OUTBOX_UPSERT = `
INSERT INTO sync_outbox(study_uid, first_changed_at, changed_at, reason) VALUES (@studyUid, @now, @now, @reason)
ON CONFLICT(study_uid) DO UPDATE SET seq = seq + 1, changed_at = excluded.changed_at, reason = excluded.reason,
  attempts = CASE WHEN dead THEN 0 ELSE attempts END, next_attempt_at = CASE WHEN dead THEN 0 ELSE next_attempt_at END, dead = 0`;
