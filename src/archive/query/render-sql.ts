import type { TextSqlDialect } from './dialect.js';
import type { IndexedAttribute } from './indexed-attributes.js';
import { UNICODE } from './render-dataset.js';
import type { ReturnPlan } from './return-plan.js';
import { sqlPart, type SqlPart } from './sql-part.js';

const RETRIEVE_URL = '00081190';

/** A piece of the text: a constant, or an SQL text expression. */
type Piece = { text: string } | { sql: string };

/**
 * A result's DICOM JSON text as one SQL expression over the result's row (the aliases of
 * search-sql.ts): the same text datasetTextWriter (render-text.ts) writes from the row's
 * columns, built by the database so that a result is one string to fetch instead of a row of
 * columns to fetch, decode and render. Only for results of index columns alone (undefined
 * otherwise, as for the text writer). One `?` is bound: the DICOMweb base of RetrieveURL.
 */
export function datasetTextSql(plan: ReturnPlan, dicomWebBase: string, d: TextSqlDialect): SqlPart | undefined {
  if (plan.stored.size > 0) return undefined;
  let byLevel = MEMO.get(d);
  if (!byLevel) MEMO.set(d, (byLevel = new Map()));
  const known = byLevel.get(plan.level);
  if (known?.columns === plan.columns) return sqlPart(known.sql, dicomWebBase);
  const sql = textSql(plan, d);
  byLevel.set(plan.level, { columns: plan.columns, sql });
  return sqlPart(sql, dicomWebBase);
}

/**
 * The SQL text depends on the dialect, the level and its columns (the level's defaults, one
 * shared array each) alone: built once per dialect and level, not per request.
 */
const MEMO = new WeakMap<TextSqlDialect, Map<string, { columns: readonly IndexedAttribute[]; sql: string }>>();

function textSql(plan: ReturnPlan, d: TextSqlDialect): string {
  const members = plan.columns
    .filter((a) => a.tag !== RETRIEVE_URL)
    .map((a) => ({ tag: a.tag, member: memberOf(a, d) }));
  members.push({ tag: RETRIEVE_URL, member: urlMember(plan, d) });
  members.sort((a, b) => (a.tag < b.tag ? -1 : 1));
  const present = members.map((m) => m.member).filter((m) => m !== undefined);
  // Every member carries a comma before it; the first one's is dropped — as a constant when it is always there.
  const [first, ...rest] = present;
  if (first?.always)
    return concat([{ text: '{' }, ...dropComma(first.pieces), ...rest.flatMap((m) => m.pieces), { text: '}' }]);
  return `'{' || substr(${concat(present.flatMap((m) => m.pieces)) || "''"}, 2) || '}'`;
}

interface MemberSql {
  /** Pieces whose text is `,"tag":{…}` (or '' when the result leaves the member out). */
  pieces: Piece[];
  /** Present in every result (a constant comma first). */
  always: boolean;
}

function dropComma(pieces: Piece[]): Piece[] {
  const [head, ...rest] = pieces;
  if (!head || !('text' in head) || !head.text.startsWith(',')) throw new Error('a member starts with its comma');
  return [{ text: head.text.slice(1) }, ...rest];
}

/** An SQL string literal (standard strings: only `'` is doubled). */
const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;

/** Adjacent constants merged, joined with `||`. */
function concat(pieces: Piece[]): string {
  const merged: Piece[] = [];
  for (const p of pieces) {
    const last = merged[merged.length - 1];
    if ('text' in p && last && 'text' in last) merged[merged.length - 1] = { text: last.text + p.text };
    else if (!('text' in p) || p.text !== '') merged.push(p);
  }
  return merged.map((p) => ('text' in p ? literal(p.text) : p.sql)).join(' || ');
}

const when = (condition: string, then: Piece[], otherwise: Piece[]): Piece => ({
  sql: `(CASE WHEN ${condition} THEN ${concat(then) || "''"} ELSE ${concat(otherwise) || "''"} END)`,
});

function memberOf(a: IndexedAttribute, d: TextSqlDialect): MemberSql | undefined {
  const head = `,"${a.tag}":{"vr":${JSON.stringify(a.vr)}`;
  if (a.render === 'computed') {
    const value =
      a.keyword === 'SpecificCharacterSet' ? UNICODE : a.keyword === 'InstanceAvailability' ? 'ONLINE' : undefined;
    if (value === undefined) return undefined;
    return { pieces: [{ text: `${head},"Value":[${JSON.stringify(value)}]}` }], always: true };
  }
  const x = a.select!;
  const value = valuePieces(a, x, d);
  const withValue: Piece[] = [{ text: `${head},"Value":` }, ...value, { text: '}' }];
  if (a.render === 'number')
    return { pieces: [when(`${x} IS NULL`, [{ text: `${head}}` }], withValue)], always: false };
  const empty: Piece[] = a.render === 'optional' ? [] : [{ text: `${head}}` }];
  // NULL <> '' is not true: NULL is empty too.
  return { pieces: [when(`${x} <> ''`, withValue, empty)], always: false };
}

/** The Value array of a non-empty column, as putColumn in render-dataset.ts makes it. */
function valuePieces(a: IndexedAttribute, x: string, d: TextSqlDialect): Piece[] {
  switch (a.render) {
    case 'number':
      // Integer columns: their decimal text is the JSON number.
      return [{ text: '[' }, { sql: `CAST(${x} AS TEXT)` }, { text: ']' }];
    case 'multi':
      // A stored backslash only ever separates values; in the quoted text it is the only `\\` pair.
      return [{ text: '[' }, { sql: `replace(${d.jsonString(x)}, '\\\\', '","')` }, { text: ']' }];
    case 'pn':
      return [{ text: '[' }, personName(x, d), { text: ']' }];
    default:
      return [{ text: '[' }, { sql: d.jsonString(x) }, { text: ']' }];
  }
}

/** personName() in render-dataset.ts: most names are one group (no `=`), written here; others by the dialect. */
function personName(x: string, d: TextSqlDialect): Piece {
  return when(
    `instr(${x}, '=') = 0`,
    [{ text: '{"Alphabetic":' }, { sql: d.jsonString(x) }, { text: '}' }],
    [{ sql: d.personNameJson(x) }],
  );
}

/** RetrieveURL: the bound base, then the level's UIDs (retrieveUrl in render-dataset.ts). */
function urlMember(plan: ReturnPlan, d: TextSqlDialect): MemberSql {
  let url = `? || '/studies/' || st.study_uid`;
  if (plan.level !== 'study') url += ` || '/series/' || s.series_uid`;
  if (plan.level === 'instance') url += ` || '/instances/' || i.sop_uid`;
  return {
    pieces: [{ text: `,"${RETRIEVE_URL}":{"vr":"UR","Value":[` }, { sql: d.jsonString(`(${url})`) }, { text: ']}' }],
    always: true,
  };
}
