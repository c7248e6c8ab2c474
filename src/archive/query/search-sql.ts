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
 * The page query. The inner SELECT finds the page's primary keys (from indexes alone where
 * it can); only those rows are then read and their returned values computed — a date range
 * matching thousands of studies sorts thousands of keys, not thousands of rendered rows.
 * Values are always bound, never spliced into the SQL.
 */
export function searchSql(plan: ReturnPlan, where: SqlPart[], limit: number, offset: number): SqlPart {
  const select = plan.columns.filter((a) => a.select).map((a) => `${a.select} AS ${aliasOf(a.tag)}`);
  for (const source of plan.stored.keys()) select.push(`${SOURCE_COLUMN[source]} AS ${SOURCE_ALIAS[source]}`);
  const filter = where.length ? allOf(where) : undefined;
  const pk = ORDER[plan.level];
  const page =
    `SELECT ${pk} AS pk FROM ${FROM[plan.level]}` +
    (filter ? ` WHERE ${filter.sql}` : '') +
    ` ORDER BY ${pk} LIMIT ? OFFSET ?`;
  return {
    sql: `SELECT ${select.join(', ')} FROM (${page}) page ${PAGE_JOIN[plan.level]} ORDER BY page.pk`,
    params: [...(filter?.params ?? []), limit, offset],
  };
}
