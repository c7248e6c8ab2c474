import { aliasOf } from './indexed-attributes.js';
import { SOURCE_ALIAS, SOURCE_COLUMN } from './json-sources.js';
import { datasetTextSql } from './render-sql.js';
import type { ReturnPlan } from './return-plan.js';
import { SQLITE_DIALECT, type SqlDialect, type TextSqlDialect } from './dialect.js';
import { allOf, sqlPart, type SqlPart } from './sql-part.js';
import type { QidoLevel } from './types.js';

function from(level: QidoLevel, d: SqlDialect): string {
  const studies = `${d.table('studies')} st`;
  const series = `${d.table('series')} s`;
  const instances = `${d.table('instances')} i`;
  if (level === 'study') return studies;
  if (level === 'series') return `${series} JOIN ${studies} ON st.pk = s.study_pk`;
  return `${instances} JOIN ${series} ON s.pk = i.series_pk JOIN ${studies} ON st.pk = s.study_pk`;
}

/** The same tables joined to a page of primary keys. */
function pageJoin(level: QidoLevel, d: SqlDialect): string {
  const studies = `JOIN ${d.table('studies')} st`;
  if (level === 'study') return `${studies} ON st.pk = page.pk`;
  const series = `JOIN ${d.table('series')} s`;
  if (level === 'series') return `${series} ON s.pk = page.pk ${studies} ON st.pk = s.study_pk`;
  return `JOIN ${d.table('instances')} i ON i.pk = page.pk ${series} ON s.pk = i.series_pk ${studies} ON st.pk = s.study_pk`;
}

/** Results come in index order: stable across pages. */
const ORDER: Record<QidoLevel, string> = { study: 'st.pk', series: 's.pk', instance: 'i.pk' };

/** Column of each result's primary key: where the next chunk starts. */
export const PK_ALIAS = 'q_pk';

/**
 * Where a chunk of results starts and how many it holds, bound by name (`@after`, `@take`,
 * `@skip`) beside the positional values of the matching keys.
 */
export interface ChunkBounds {
  /** Only primary keys above this one. */
  after: number;
  take: number;
  /** Matches skipped first (the client's offset, on the first chunk only). */
  skip: number;
}

/** Below every primary key. */
export const BEFORE_ALL = Number.MIN_SAFE_INTEGER;

export interface SearchScope {
  studyUid?: string;
  seriesUid?: string;
}

/** Scope conditions from the resource path (/studies/{s}/series/{se}/instances). */
export function scopeConditions(scope: SearchScope): SqlPart[] {
  return [
    ...(scope.studyUid !== undefined ? [sqlPart('st.study_uid = ?', scope.studyUid)] : []),
    ...(scope.seriesUid !== undefined ? [sqlPart('s.series_uid = ?', scope.seriesUid)] : []),
  ];
}

/**
 * The chunk query. The inner SELECT finds the chunk's primary keys (from indexes alone where
 * it can), after the last key of the previous chunk (keyset paging: no cursor stays open
 * between chunks, and no chunk re-reads the keys of earlier ones); only those rows are then
 * read and their returned values computed. Values are always bound, never spliced into the SQL.
 */
export function searchSql(plan: ReturnPlan, where: SqlPart[], dialect: SqlDialect = SQLITE_DIALECT): SqlPart {
  const select = resultColumns(plan).map(({ alias, sql }) => `${sql} AS "${alias}"`);
  return chunkSql(plan.level, sqlPart(select.join(', ')), where, dialect);
}

/** Column of packedSearchSql's rows holding the packed values. */
export const PACKED_ALIAS = 'q_row';

/**
 * searchSql with the values of resultColumns (the key left out) packed by `pack` into one
 * column (PACKED_ALIAS), then the key (PK_ALIAS): a row the driver reads as one field instead
 * of a field per column (PostgreSQL: pg-qido.ts).
 */
export function packedSearchSql(
  plan: ReturnPlan,
  where: SqlPart[],
  pack: (columns: string[]) => string,
  dialect: SqlDialect,
): SqlPart {
  const columns = resultColumns(plan)
    .filter((c) => c.alias !== PK_ALIAS)
    .map((c) => c.sql);
  return chunkSql(plan.level, sqlPart(`${pack(columns)} AS ${PACKED_ALIAS}, page.pk AS ${PK_ALIAS}`), where, dialect);
}

/**
 * The columns of searchSql's rows in their order, by alias: the return plan's columns, the
 * stored JSON of each source, the primary key last (for drivers that read rows as arrays).
 */
export function resultColumns(plan: ReturnPlan): { alias: string; sql: string }[] {
  const columns = plan.columns.flatMap((a) => (a.select ? [{ alias: aliasOf(a.tag), sql: a.select }] : []));
  for (const source of plan.stored.keys()) columns.push({ alias: SOURCE_ALIAS[source], sql: SOURCE_COLUMN[source] });
  columns.push({ alias: PK_ALIAS, sql: 'page.pk' });
  return columns;
}

/**
 * The chunk query of a search whose results are text made by the database (render-sql.ts):
 * each row is [the result's DICOM JSON text, its primary key]. Undefined when the results
 * return stored JSON (rendered from rows of columns: searchSql).
 */
export function textSearchSql(
  plan: ReturnPlan,
  where: SqlPart[],
  dicomWebBase: string,
  dialect: TextSqlDialect = SQLITE_DIALECT,
): SqlPart | undefined {
  const text = datasetTextSql(plan, dicomWebBase, dialect);
  if (!text) return undefined;
  return chunkSql(
    plan.level,
    { sql: `${text.sql} AS q_json, page.pk AS ${PK_ALIAS}`, params: text.params },
    where,
    dialect,
  );
}

function chunkSql(level: QidoLevel, select: SqlPart, where: SqlPart[], dialect: SqlDialect): SqlPart {
  const pk = ORDER[level];
  const filter = allOf([...where, sqlPart(`${pk} > @after`)]);
  const page = `SELECT ${pk} AS pk FROM ${from(level, dialect)} WHERE ${filter.sql} ORDER BY ${pk} LIMIT @take OFFSET @skip`;
  return {
    sql: `SELECT ${select.sql} FROM (${page}) page ${pageJoin(level, dialect)} ORDER BY page.pk`,
    params: [...select.params, ...filter.params],
  };
}

/** The values to run a chunk query with: the matching keys' values, then the bounds by name. */
export const chunkParams = (statement: SqlPart, bounds: ChunkBounds): unknown[] => [...statement.params, bounds];
