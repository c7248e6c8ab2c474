import type { Migration } from '../../core/postgres/migrations.js';

/**
 * The FHIR store in PostgreSQL, the same tables as the SQLite one (sqlite/schema.ts) in its own
 * schema: `resources` (current version or tombstone), `versions` (every version), `params`
 * (numeric ids of search parameters) and one sp_* table of search values per kind. Text columns
 * compare bytewise (COLLATE "C"), as in SQLite: prefix searches are ranges on the btree indexes,
 * whatever the database's collation. Migrations are append-only: a released one is never edited.
 */
export function fhirMigrations(schema: string): Migration[] {
  const s = `${schema}.`;
  const C = 'text COLLATE "C"';
  return [
    {
      version: 1,
      description: 'FHIR resources, versions and search index tables',
      sql: `
CREATE TABLE ${s}resources (
  pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type ${C} NOT NULL,
  id ${C} NOT NULL,
  version integer NOT NULL,
  last_updated bigint NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  json text NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX resources_updated ON ${s}resources (type, last_updated);

CREATE TABLE ${s}versions (
  resource_pk bigint NOT NULL,
  version integer NOT NULL,
  type ${C} NOT NULL,
  id ${C} NOT NULL,
  last_updated bigint NOT NULL,
  method text NOT NULL,
  json text,
  PRIMARY KEY (resource_pk, version)
);
CREATE INDEX versions_type_time ON ${s}versions (type, last_updated);
CREATE INDEX versions_type_id ON ${s}versions (type, id);
CREATE INDEX versions_time ON ${s}versions (last_updated);

CREATE TABLE ${s}params (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  type ${C} NOT NULL,
  code ${C} NOT NULL,
  UNIQUE (type, code)
);

-- Value indexes end with resource_pk: the matching keys come from the index alone (index-only scans).
CREATE TABLE ${s}sp_token (resource_pk bigint NOT NULL, param integer NOT NULL, system ${C}, code ${C} NOT NULL);
CREATE INDEX sp_token_value ON ${s}sp_token (param, code, system, resource_pk);
CREATE INDEX sp_token_system ON ${s}sp_token (param, system);
CREATE INDEX sp_token_resource ON ${s}sp_token (resource_pk, param);

CREATE TABLE ${s}sp_string (resource_pk bigint NOT NULL, param integer NOT NULL, norm ${C} NOT NULL, exact ${C} NOT NULL);
CREATE INDEX sp_string_value ON ${s}sp_string (param, norm, resource_pk);
CREATE INDEX sp_string_resource ON ${s}sp_string (resource_pk, param);

CREATE TABLE ${s}sp_date (resource_pk bigint NOT NULL, param integer NOT NULL, low bigint NOT NULL, high bigint NOT NULL);
CREATE INDEX sp_date_low ON ${s}sp_date (param, low);
CREATE INDEX sp_date_high ON ${s}sp_date (param, high);
CREATE INDEX sp_date_resource ON ${s}sp_date (resource_pk, param);

CREATE TABLE ${s}sp_reference (resource_pk bigint NOT NULL, param integer NOT NULL, target_type ${C}, target_id ${C}, url ${C} NOT NULL);
CREATE INDEX sp_reference_target ON ${s}sp_reference (param, target_id, target_type, resource_pk);
CREATE INDEX sp_reference_url ON ${s}sp_reference (param, url);
CREATE INDEX sp_reference_resource ON ${s}sp_reference (resource_pk, param);

CREATE TABLE ${s}sp_number (resource_pk bigint NOT NULL, param integer NOT NULL, value double precision NOT NULL, system ${C}, code ${C}, unit ${C});
CREATE INDEX sp_number_value ON ${s}sp_number (param, value);
CREATE INDEX sp_number_resource ON ${s}sp_number (resource_pk, param);

CREATE TABLE ${s}sp_uri (resource_pk bigint NOT NULL, param integer NOT NULL, value ${C} NOT NULL);
CREATE INDEX sp_uri_value ON ${s}sp_uri (param, value);
CREATE INDEX sp_uri_resource ON ${s}sp_uri (resource_pk, param);
`,
    },
    {
      version: 2,
      description: 'trigram index for :contains string searches',
      // pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner may create it.
      sql: `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX sp_string_trigram ON ${s}sp_string USING gin (norm gin_trgm_ops);
`,
    },
  ];
}

export const INDEX_TABLES = ['sp_token', 'sp_string', 'sp_date', 'sp_reference', 'sp_number', 'sp_uri'] as const;
export type IndexTable = (typeof INDEX_TABLES)[number];

/** The index table that holds values of a search parameter kind (number and quantity share one). */
export function tableOf(kind: string): IndexTable {
  if (kind === 'quantity' || kind === 'number') return 'sp_number';
  return `sp_${kind}` as IndexTable;
}
