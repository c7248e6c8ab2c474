import type Database from 'better-sqlite3';
import type pg from 'pg';
import { SearchParamRegistry } from '../fhir/definitions/search-params.js';
import { PgIndexWriter } from '../fhir/postgres/index-writer.js';
import type { FhirResource } from '../fhir/types.js';
import { copyTable, type TableSpec } from './copy-table.js';
import { inTransaction } from '../core/postgres/store-connection.js';
import { progressOf, setProgress } from './target.js';

/** The FHIR store's own tables: every version as stored (ids, version ids, lastUpdated kept). */
export const fhirTables = (fhir: Database.Database): TableSpec[] => [
  { db: fhir, from: 'resources', to: 'fhir.resources' },
  { db: fhir, from: 'versions', to: 'fhir.versions' },
];

const STEP = 'fhir-index';

/**
 * Copies the FHIR store: resources and versions row for row (keys kept), then builds the search
 * index of each current version with the PostgreSQL index writer, `batch` resources per
 * transaction — the SQLite sp_* rows are not copied: PostgreSQL has its own parameter ids and
 * its writer decides what is indexed. `baseUrl` must be the server's (its absolute references
 * are indexed as local ones): `--public-url` + `/fhir`.
 */
export async function copyFhir(
  fhir: Database.Database,
  pool: pg.Pool,
  baseUrl: string,
  batch: number,
): Promise<number> {
  for (const spec of fhirTables(fhir)) await copyTable(pool, spec, batch);
  if ((await progressOf(pool, STEP)).done) return 0;
  const index = await PgIndexWriter.open(pool, 'fhir', new SearchParamRegistry(), baseUrl);
  let indexed = 0;
  for (;;) {
    const n = await inTransaction(pool, async (db) => {
      const { upto } = await progressOf(db, STEP);
      const { rows } = await db.query<{ pk: number; json: string }>(
        'SELECT pk, json FROM fhir.resources WHERE pk > $1 AND NOT deleted ORDER BY pk LIMIT $2',
        [upto, batch],
      );
      for (const r of rows) await index.write(db, r.pk, JSON.parse(r.json) as FhirResource, false);
      if (rows.length > 0) await setProgress(db, STEP, { upto: rows.at(-1)!.pk });
      return rows.length;
    });
    if (n === 0) break;
    indexed += n;
  }
  await setProgress(pool, STEP, { upto: (await progressOf(pool, STEP)).upto, done: true });
  return indexed;
}
