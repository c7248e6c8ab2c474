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
  /** Where `sep` (one character) first occurs in `text`, from 1; 0 when it does not. */
  position(text: string, sep: string): string;
  /** The `n`-th (from 1) part of `text` split at `sep` (one character); '' past the last (as PostgreSQL's split_part). */
  splitPart(text: string, sep: string, n: number): string;
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

/** split_part for SQLite: the text before the first `sep` of what is left after n - 1 of them. */
function sqliteSplitPart(text: string, sep: string, n: number): string {
  const s = `'${sep.replace(/'/g, "''")}'`;
  let rest = text;
  for (let i = 1; i < n; i++) rest = `substr(${rest}, instr(${rest} || ${s}, ${s}) + 1)`;
  return `substr(${rest}, 1, instr(${rest} || ${s}, ${s}) - 1)`;
}

export const SQLITE_DIALECT: TextSqlDialect = {
  table: (name) => name,
  jsonString: (text) => `json_quote(${text})`,
  position: (text, sep) => `instr(${text}, '${sep.replace(/'/g, "''")}')`,
  splitPart: sqliteSplitPart,
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
