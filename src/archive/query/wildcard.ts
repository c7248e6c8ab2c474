import { sqlPart, type SqlPart } from './sql-part.js';

/** PS3.4 C.2.2.2.4: the VRs on which `*` and `?` are wildcards. */
export const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);

export const hasWildcard = (value: string): boolean => /[*?]/.test(value);

/**
 * DICOM wildcard → SQLite GLOB pattern. `*` and `?` mean the same in both; `[` opens a
 * character class in GLOB, so a literal one becomes `[[]`. DICOM has no escape for `*`/`?`.
 */
export function toGlob(value: string): string {
  return value.replace(/\[/g, '[[]');
}

/** The characters before the first wildcard. */
export function literalPrefix(value: string): string {
  const at = value.search(/[*?]/);
  return at < 0 ? value : value.slice(0, at);
}

/** Sorts after every string that starts with a given prefix (in SQLite's BINARY order). */
const AFTER_PREFIX = '\u{10FFFF}';

/**
 * `column` matches the DICOM wildcard `pattern` (already case-folded if needed). A literal
 * prefix also becomes a range on the column, so an index on it is used for `Smith*`.
 */
export function globMatch(column: string, pattern: string): SqlPart {
  const prefix = literalPrefix(pattern);
  const glob = sqlPart(`${column} GLOB ?`, toGlob(pattern));
  return prefix
    ? {
        sql: `${prefixRange(column, prefix).sql} AND ${glob.sql}`,
        params: [prefix, prefix + AFTER_PREFIX, ...glob.params],
      }
    : glob;
}

/** The values of `column` that start with `prefix`, as a range an index can use. */
export function prefixRange(column: string, prefix: string): SqlPart {
  return sqlPart(`${column} >= ? AND ${column} < ?`, prefix, prefix + AFTER_PREFIX);
}

/** Single value or wildcard matching of a case-sensitive text value. */
export function textMatch(column: string, value: string, wildcards: boolean): SqlPart {
  return wildcards && hasWildcard(value) ? globMatch(column, value) : sqlPart(`${column} = ?`, value);
}
