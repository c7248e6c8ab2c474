import { SQLITE_DIALECT, type SqlDialect } from './dialect.js';
import { sqlPart, type SqlPart } from './sql-part.js';

export { toGlob } from './dialect.js';

/** PS3.4 C.2.2.2.4: the VRs on which `*` and `?` are wildcards. */
export const WILDCARD_VRS = new Set(['AE', 'CS', 'LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UR', 'UT']);

export const hasWildcard = (value: string): boolean => /[*?]/.test(value);

/** The characters before the first wildcard. */
export function literalPrefix(value: string): string {
  const at = value.search(/[*?]/);
  return at < 0 ? value : value.slice(0, at);
}

/** Sorts after every string that starts with a given prefix (in bytewise order: SQLite BINARY, PostgreSQL "C"). */
const AFTER_PREFIX = '\u{10FFFF}';

/**
 * `column` matches the DICOM wildcard `pattern` (already case-folded if needed). A literal
 * prefix also becomes a range on the column, so an index on it is used for `Smith*`.
 */
export function globMatch(column: string, pattern: string, dialect: SqlDialect = SQLITE_DIALECT): SqlPart {
  const prefix = literalPrefix(pattern);
  const match = dialect.wildcard(column, pattern);
  return prefix
    ? {
        sql: `${prefixRange(column, prefix).sql} AND ${match.sql}`,
        params: [prefix, prefix + AFTER_PREFIX, ...match.params],
      }
    : match;
}

/** The values of `column` that start with `prefix`, as a range an index can use. */
export function prefixRange(column: string, prefix: string): SqlPart {
  return sqlPart(`${column} >= ? AND ${column} < ?`, prefix, prefix + AFTER_PREFIX);
}

/** Single value or wildcard matching of a case-sensitive text value. */
export function textMatch(column: string, value: string, wildcards: boolean, dialect: SqlDialect): SqlPart {
  return wildcards && hasWildcard(value) ? globMatch(column, value, dialect) : sqlPart(`${column} = ?`, value);
}
