import { QueryError } from './query-error.js';
import { BINARY_VRS, TEXT_VRS } from '../../dicom/vr.js';
import { isRange, parseDateTimeKey, timeLowerBound, timeUpperBound, type DateTimeKey } from './date-time-range.js';
import { indexedAttribute, type IndexedAttribute } from './indexed-attributes.js';
import { SOURCE_COLUMN, sourceOf } from './json-sources.js';
import { personNameMatch } from './person-name-match.js';
import type { MatchKey } from './query-params.js';
import { allOf, anyOf, sqlPart, type SqlPart } from './sql-part.js';
import { LEVEL_DEPTH, type QidoLevel } from './types.js';
import { hasWildcard, textMatch, WILDCARD_VRS } from './wildcard.js';
import type { SqlDialect, StoredValue } from './dialect.js';

export interface ConditionOptions {
  level: QidoLevel;
  multipleValueMatching: boolean;
  /** The resource path already narrows the search to one study or series. */
  scoped: boolean;
  dialect: SqlDialect;
}

const NUMBER_VRS = new Set(['IS', 'DS', 'US', 'UL', 'SS', 'SL', 'FL', 'FD', 'SV', 'UV']);
const AFTER_PREFIX = '\u{10FFFF}';

/**
 * The WHERE parts for the matching keys (PS3.4 C.2.2.2). Universal matching (empty value,
 * or `*` where wildcards apply) adds none. A key we cannot match is a 400, never ignored.
 */
export function keyConditions(keys: MatchKey[], opts: ConditionOptions): SqlPart[] {
  const parts: SqlPart[] = [];
  const done = new Set<string>();
  for (const key of keys) {
    const combined = combinedDateTime(key, keys, opts);
    if (!combined) continue;
    parts.push(combined.part);
    for (const tag of combined.tags) done.add(tag);
  }
  let modalities: MatchKey | undefined;
  for (const key of keys) {
    if (done.has(key.attr.tag)) continue;
    if (key.attr.keyword === 'ModalitiesInStudy' && key.value !== '') {
      modalities = key;
      continue;
    }
    const part = keyCondition(key, opts);
    if (part) parts.push(part);
  }
  if (modalities) {
    const alone = parts.length === 0 && !opts.scoped;
    const part = modalitiesMatch(
      modalities.value,
      alone ? (opts.level === 'study' ? 'chunk' : 'list') : 'probe',
      opts.dialect,
    );
    if (part) parts.push(part);
  }
  return parts;
}

function keyCondition(key: MatchKey, opts: ConditionOptions): SqlPart | undefined {
  const { attr, value } = key;
  if (value === '') return undefined;
  if (value === '""') throw new QueryError(attr.keyword, `${attr.keyword}="": empty value matching is not supported`);
  const indexed = indexedAttribute(attr.tag);
  if (indexed && LEVEL_DEPTH[indexed.level] > LEVEL_DEPTH[opts.level]) {
    throw new QueryError(
      attr.keyword,
      `${attr.keyword} is a ${indexed.level}-level attribute and cannot be matched in a ${opts.level} search`,
    );
  }
  const single = indexed
    ? (v: string) => indexedCondition(indexed, v, opts.dialect)
    : (v: string) => storedCondition(key, v, opts);
  const listHandledByKind = indexed?.match.kind === 'uid' || indexed?.match.kind === 'modalities' || attr.vr === 'UI';
  if (listHandledByKind || TEXT_VRS.has(attr.vr) || !value.includes('\\')) return single(value);
  if (!opts.multipleValueMatching) {
    throw new QueryError(attr.keyword, `${attr.keyword}="${value}": several values need multiplevaluematching=true`);
  }
  const parts = value.split('\\').map(single);
  return parts.some((p) => p === undefined) ? undefined : anyOf(parts as SqlPart[]);
}

function indexedCondition(a: IndexedAttribute, raw: string, dialect: SqlDialect): SqlPart | undefined {
  const m = a.match;
  switch (m.kind) {
    case 'text': {
      const v = raw.trim();
      return v === '*' ? undefined : textMatch(m.column, v, WILDCARD_VRS.has(a.vr), dialect);
    }
    case 'uid':
      return uidMatch(m.column, a.keyword, raw, dialect);
    case 'int':
      return sqlPart(`${m.column} = ?`, integer(a.keyword, raw));
    case 'date':
      return dateMatch(m.column, parseDateTimeKey(a.keyword, 'DA', raw));
    case 'time':
      return timeMatch(m.column, parseDateTimeKey(a.keyword, 'TM', raw));
    case 'pn':
      return personNameMatch(raw, m, dialect);
    case 'modalities':
      return modalitiesMatch(raw, 'probe', dialect);
    case 'never':
      return undefined;
    case 'none':
      throw new QueryError(
        a.keyword,
        `${a.keyword} cannot be used as a matching key; request it with includefield=${a.keyword}`,
      );
  }
}

/** Single value and range matching of a date stored as YYYYMMDD text (empty dates never match a range). */
function dateMatch(column: string, key: DateTimeKey): SqlPart {
  if (!isRange(key)) return sqlPart(`${column} = ?`, key.exact);
  return allOf([
    key.from ? sqlPart(`${column} >= ?`, key.from) : sqlPart(`${column} > ''`),
    ...(key.to ? [sqlPart(`${column} <= ?`, key.to)] : []),
  ]);
}

/** Times are stored as HHMMSS.FFFFFF; a single value means the whole span of its precision (1015 = 10:15:00–10:15:59.999999). */
function timeMatch(column: string, key: DateTimeKey): SqlPart {
  const from = isRange(key) ? key.from : key.exact;
  const to = isRange(key) ? key.to : key.exact;
  return allOf([
    from ? sqlPart(`${column} >= ?`, timeLowerBound(from)) : sqlPart(`${column} > ''`),
    ...(to ? [sqlPart(`${column} <= ?`, timeUpperBound(to))] : []),
  ]);
}

/**
 * PS3.4 C.2.2.2.5.1: when a date and its time are both ranges they form one date-time
 * range — StudyDate=20240101-20240103&StudyTime=1000-1800 is 1 Jan 10:00 to 3 Jan 18:00.
 */
function combinedDateTime(
  key: MatchKey,
  keys: MatchKey[],
  opts: ConditionOptions,
): { part: SqlPart; tags: string[] } | undefined {
  const date = indexedAttribute(key.attr.tag);
  if (date?.match.kind !== 'date' || !date.match.pairedTime) return undefined;
  const timeKey = keys.find((k) => k.attr.tag === (date.match as { pairedTime: string }).pairedTime);
  const time = timeKey && indexedAttribute(timeKey.attr.tag);
  if (!timeKey || time?.match.kind !== 'time' || !key.value.includes('-') || !timeKey.value.includes('-'))
    return undefined;
  if (LEVEL_DEPTH[date.level] > LEVEL_DEPTH[opts.level]) return undefined; // keyCondition reports it
  const d = parseDateTimeKey(date.keyword, 'DA', key.value);
  const t = parseDateTimeKey(time.keyword, 'TM', timeKey.value);
  if (!isRange(d) || !isRange(t)) return undefined;
  const dc = date.match.column;
  const tc = time.match.column;
  const parts: SqlPart[] = [];
  if (d.from) {
    parts.push(sqlPart(`${dc} >= ?`, d.from));
    if (t.from) parts.push(sqlPart(`${dc} > ? OR ${tc} >= ?`, d.from, timeLowerBound(t.from)));
  } else {
    parts.push(sqlPart(`${dc} > ''`));
  }
  if (d.to) {
    parts.push(sqlPart(`${dc} <= ?`, d.to));
    if (t.to) parts.push(sqlPart(`${dc} < ? OR ${tc} <= ?`, d.to, timeUpperBound(t.to)));
  }
  return { part: allOf(parts), tags: [key.attr.tag, timeKey.attr.tag] };
}

/** UID list matching: values separated by `,` or `\`; no wildcards in UIDs. */
function uidMatch(column: string, keyword: string, raw: string, dialect: SqlDialect): SqlPart | undefined {
  const uids = raw
    .split(/[,\\]/)
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (uids.length === 0) return undefined;
  if (uids.some(hasWildcard)) throw new QueryError(keyword, `${keyword}="${raw}": wildcards are not allowed in UIDs`);
  if (uids.length === 1) return sqlPart(`${column} = ?`, uids[0]);
  return dialect.inList(column, uids);
}

/**
 * Studies with at least one series of any listed modality (`CT,MR` or `CT\\MR`). Alone,
 * the key drives the search from series_modality: scanning studies and probing each would
 * read all of them for a rare modality. In a study search ('chunk') the key list holds only
 * the chunk's keys — series_modality (modality, study_pk) walked in order from the previous
 * chunk's last key, stopping at the chunk's end — so a search matching 20,000 studies never
 * builds the list of all 20,000 per chunk. At other levels ('list') the list is of every
 * matching study. Beside a more selective key it is a probe per candidate study ('probe'), so
 * that key's index leads.
 */
function modalitiesMatch(raw: string, how: 'chunk' | 'list' | 'probe', dialect: SqlDialect): SqlPart | undefined {
  const list = raw
    .split(/[,\\]/)
    .map((m) => m.trim())
    .filter((m) => m !== '');
  if (list.length === 0 || list.includes('*')) return undefined;
  const { sql: modality, params } = list.some(hasWildcard)
    ? dialect.anyWildcard('sm.modality', list)
    : list.length === 1
      ? sqlPart('sm.modality = ?', list[0])
      : dialect.inList('sm.modality', list);
  const series = dialect.table('series');
  switch (how) {
    case 'chunk':
      // @after/@take/@skip: the bounds of the chunk query (search-sql.ts).
      return sqlPart(
        `st.pk IN (SELECT DISTINCT sm.study_pk FROM ${series} sm WHERE ${modality} AND sm.study_pk > @after ` +
          'ORDER BY sm.study_pk LIMIT @take + @skip)',
        ...params,
      );
    case 'list':
      return sqlPart(`st.pk IN (SELECT sm.study_pk FROM ${series} sm WHERE ${modality})`, ...params);
    case 'probe':
      return sqlPart(`EXISTS (SELECT 1 FROM ${series} sm WHERE ${modality} AND sm.study_pk = st.pk)`, ...params);
  }
}

function integer(keyword: string, raw: string): number {
  const v = raw.trim();
  if (!/^[+-]?\d{1,12}$/.test(v)) throw new QueryError(keyword, `${keyword}="${raw}" is not an integer`);
  return Number(v);
}

/** An attribute without a column: matched against any value of it in the level's stored JSON. */
function storedCondition(key: MatchKey, raw: string, opts: ConditionOptions): SqlPart | undefined {
  const { attr } = key;
  const source = sourceOf(attr.tag, opts.level);
  if (!source)
    throw new QueryError(
      attr.keyword,
      `${attr.keyword} is not an attribute of the ${opts.level} level and cannot be matched in a ${opts.level} search`,
    );
  let universal = false;
  const part = opts.dialect.storedValue(SOURCE_COLUMN[source], attr.tag, (value) => {
    const predicate = storedPredicate(attr.keyword, attr.vr, raw, value, opts.dialect);
    universal = predicate === undefined;
    return predicate ?? sqlPart('true');
  });
  return universal ? undefined : part;
}

function storedPredicate(
  keyword: string,
  vr: string,
  raw: string,
  value: StoredValue,
  dialect: SqlDialect,
): SqlPart | undefined {
  if (vr === 'SQ') throw new QueryError(keyword, `${keyword}: sequence matching is not supported`);
  if (BINARY_VRS.has(vr) || vr === 'AT')
    throw new QueryError(keyword, `${keyword} (${vr}) cannot be used as a matching key`);
  if (vr === 'PN') return personNameMatch(raw, { all: value.personName }, dialect);
  if (vr === 'UI') return uidMatch(value.text, keyword, raw, dialect);
  if (NUMBER_VRS.has(vr)) {
    const n = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(n)) throw new QueryError(keyword, `${keyword}="${raw}" is not a number`);
    return sqlPart(`${value.number} = ?`, n);
  }
  if (vr === 'DA') return dateMatch(value.text, parseDateTimeKey(keyword, 'DA', raw));
  if (vr === 'DT') {
    const key = parseDateTimeKey(keyword, 'DT', raw);
    if (!isRange(key)) return sqlPart(`${value.text} = ?`, key.exact);
    return allOf([
      key.from ? sqlPart(`${value.text} >= ?`, key.from) : sqlPart(`${value.text} > ''`),
      ...(key.to ? [sqlPart(`${value.text} <= ?`, key.to + AFTER_PREFIX)] : []),
    ]);
  }
  if (vr === 'TM') {
    const key = parseDateTimeKey(keyword, 'TM', raw);
    if (isRange(key))
      throw new QueryError(
        keyword,
        `${keyword}: range matching is supported only for StudyTime and PerformedProcedureStepStartTime`,
      );
    return sqlPart(`${value.text} = ?`, key.exact);
  }
  const v = raw.trim();
  if (v === '*' && WILDCARD_VRS.has(vr)) return undefined;
  return textMatch(value.text, v, WILDCARD_VRS.has(vr), dialect);
}
