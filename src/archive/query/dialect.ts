import { sqlPart, type SqlPart } from './sql-part.js';

/**
 * What differs between the SQL of the QIDO backends: the rest of the compiled search (key
 * conditions, keyset paging, joins) is shared. Parts use `?` placeholders and the bounds
 * `@after`, `@take`, `@skip` (search-sql.ts); a backend numbers them as its driver wants.
 */
export interface SqlDialect {
  /** A table of the archive index as the FROM clause names it (PostgreSQL: schema-qualified). */
  table(name: 'studies' | 'series' | 'instances'): string;
  /** `column` matches the DICOM wildcard pattern (`*`, `?`; every other character literal). */
  wildcard(column: string, pattern: string): SqlPart;
  /** `column` equals one of `values`. */
  inList(column: string, values: string[]): SqlPart;
  /** `column` matches one of the DICOM wildcard patterns. */
  anyWildcard(column: string, patterns: string[]): SqlPart;
  /**
   * A value of `tag` in a stored DICOM JSON column satisfies `predicate`, which is built over
   * the value expressions this dialect gives for one element of the attribute's Value array.
   */
  storedValue(json: string, tag: string, predicate: (value: StoredValue) => SqlPart): SqlPart;
}

/**
 * Text functions of a dialect whose database writes results as DICOM JSON text (render-sql.ts).
 * SQLite only: on PostgreSQL the same text costs its backend more CPU than it saves ours
 * (measured on SCALE: +6.5 µs per result there, −5 to −7 here), so results are rendered here.
 */
export interface TextSqlDialect extends SqlDialect {
  /** A text expression as a JSON string literal, escaped exactly as JSON.stringify escapes it. */
  jsonString(text: string): string;
  /**
   * A PN value `alphabetic=ideographic=phonetic` holding at least one `=` as the JSON text of
   * its PN object (personName in render-dataset.ts). SQLite: a function the backend registers.
   */
  personNameJson(text: string): string;
}

/** SQL expressions over one element of a stored attribute's Value array. */
export interface StoredValue {
  /** As text (strings, UIDs, dates), comparing bytewise. */
  text: string;
  /** Compared with a bound JavaScript number. */
  number: string;
  /** A PN as lower-cased `alphabetic=ideographic=phonetic`, trailing empty groups dropped. */
  personName: string;
}

/** DICOM wildcard → SQLite GLOB pattern: `[` opens a character class in GLOB, so a literal one becomes `[[]`. */
export const toGlob = (value: string): string => value.replace(/\[/g, '[[]');

/** DICOM wildcard → LIKE pattern with `\` as escape. */
export const toLike = (value: string): string =>
  value
    .replace(/[\\%_]/g, '\\$&')
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');

const pnOf = (value: (field: string) => string, lower: (s: string) => string) =>
  lower(
    `rtrim(coalesce(${value('Alphabetic')}, '') || '=' || coalesce(${value('Ideographic')}, '') || '=' || ` +
      `coalesce(${value('Phonetic')}, ''), '=')`,
  );

export const SQLITE_DIALECT: TextSqlDialect = {
  table: (name) => name,
  jsonString: (text) => `json_quote(${text})`,
  // qido_pn_json: registered by the SQLite backend (sqlite-qido.ts).
  personNameJson: (text) => `qido_pn_json(${text})`,
  wildcard: (column, pattern) => sqlPart(`${column} GLOB ?`, toGlob(pattern)),
  inList: (column, values) => sqlPart(`${column} IN (SELECT value FROM json_each(?))`, JSON.stringify(values)),
  anyWildcard: (column, patterns) =>
    sqlPart(`EXISTS (SELECT 1 FROM json_each(?) q WHERE ${column} GLOB q.value)`, JSON.stringify(patterns.map(toGlob))),
  storedValue: (json, tag, predicate) => {
    const p = predicate({
      text: 'je.value',
      number: 'je.value',
      // qido_lower: Unicode case folding registered by the SQLite backend (SQLite's lower() is ASCII-only).
      personName: pnOf(
        (f) => `json_extract(je.value, '$.${f}')`,
        (s) => `qido_lower(${s})`,
      ),
    });
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(${json}, ?) je WHERE ${p.sql})`,
      params: [`$."${tag}".Value`, ...p.params],
    };
  },
};

/** PostgreSQL: columns are COLLATE "C" (bytewise, as SQLite); stored JSON is text, read as jsonb. */
export function postgresDialect(schema: string): SqlDialect {
  return {
    table: (name) => `${schema}.${name}`,
    wildcard: (column, pattern) => sqlPart(`${column} LIKE ? ESCAPE '\\'`, toLike(pattern)),
    inList: (column, values) => sqlPart(`${column} = ANY(?::text[])`, values),
    anyWildcard: (column, patterns) => sqlPart(`${column} LIKE ANY(?::text[])`, patterns.map(toLike)),
    storedValue: (json, tag, predicate) => {
      const p = predicate({
        text: `(je.value #>> '{}') COLLATE "C"`,
        number: `(CASE WHEN jsonb_typeof(je.value) = 'number' THEN je.value::numeric END)`,
        // ICU's root collation folds case beyond ASCII, whatever the database's own collation.
        personName: pnOf(
          (f) => `(je.value ->> '${f}')`,
          (s) => `lower(${s} COLLATE "und-x-icu") COLLATE "C"`,
        ),
      });
      return {
        // Stored metadata marks bulk data URIs with a raw U+0001 (metadata-text.ts), which JSON forbids: dropped to parse it.
        sql: `EXISTS (SELECT 1 FROM jsonb_array_elements(replace(${json}, chr(1), '')::jsonb -> ?::text -> 'Value') je WHERE ${p.sql})`,
        params: [tag, ...p.params],
      };
    },
  };
}
