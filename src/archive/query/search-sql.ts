import { aliasOf } from './indexed-attributes.js';
import { SOURCE_ALIAS, SOURCE_COLUMN } from './json-sources.js';
import type { ReturnPlan } from './return-plan.js';
import { allOf, sqlPart, type SqlPart } from './sql-part.js';
import type { QidoLevel } from './types.js';

const FROM: Record<QidoLevel, string> = {
  study: 'studies st',
  series: 'series s JOIN studies st ON st.pk = s.study_pk',
  instance: 'instances i JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk',
};

/** The same tables joined to a page of primary keys. */
const PAGE_JOIN: Record<QidoLevel, string> = {
  study: 'JOIN studies st ON st.pk = page.pk',
  series: 'JOIN series s ON s.pk = page.pk JOIN studies st ON st.pk = s.study_pk',
  instance:
    'JOIN instances i ON i.pk = page.pk JOIN series s ON s.pk = i.series_pk JOIN studies st ON st.pk = s.study_pk',
};

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
export function searchSql(plan: ReturnPlan, where: SqlPart[]): SqlPart {
  const level = plan.level;
  const select = plan.columns.filter((a) => a.select).map((a) => `${a.select} AS ${aliasOf(a.tag)}`);
  for (const source of plan.stored.keys()) select.push(`${SOURCE_COLUMN[source]} AS ${SOURCE_ALIAS[source]}`);
  select.push(`page.pk AS ${PK_ALIAS}`);
  const pk = ORDER[level];
  const filter = allOf([...where, sqlPart(`${pk} > @after`)]);
  const page = `SELECT ${pk} AS pk FROM ${FROM[level]} WHERE ${filter.sql} ORDER BY ${pk} LIMIT @take OFFSET @skip`;
  return {
    sql: `SELECT ${select.join(', ')} FROM (${page}) page ${PAGE_JOIN[level]} ORDER BY page.pk`,
    params: filter.params,
  };
}

/** The values to run a chunk query with: the matching keys' values, then the bounds by name. */
export const chunkParams = (statement: SqlPart, bounds: ChunkBounds): unknown[] => [...statement.params, bounds];
