import type { SqlDialect } from './dialect.js';
import { allOf, anyOf, sqlPart, type SqlPart } from './sql-part.js';
import { globMatch, hasWildcard, literalPrefix, prefixRange } from './wildcard.js';

/** Where a PN is stored: both lower-cased with String.prototype.toLowerCase. */
export interface PersonNameColumns {
  /** The Alphabetic group alone, indexed (optional). */
  alphabetic?: string;
  /** The whole value, `alphabetic=ideographic=phonetic` without trailing empty groups. */
  all: string;
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Case-insensitive PN matching (single value or wildcard). A value without `=` is matched
 * against the Alphabetic group — and, when it has non-ASCII characters (a Japanese or
 * Korean name), against the Ideographic and Phonetic groups too. A value with `=` is
 * matched group by group; an empty group matches anything. Returns undefined for `*`.
 */
export function personNameMatch(value: string, cols: PersonNameColumns, dialect: SqlDialect): SqlPart | undefined {
  const q = value.trim().toLowerCase().replace(/=+$/, '');
  if (q === '' || q === '*') return undefined;
  if (q.includes('=')) {
    const pattern = q
      .split('=')
      .map((g) => (g === '' ? '*' : g))
      .join('=');
    return wholeGroup(cols.all, '', pattern, dialect);
  }
  const alphabetic = cols.alphabetic
    ? hasWildcard(q)
      ? globMatch(cols.alphabetic, q, dialect)
      : sqlPart(`${cols.alphabetic} = ?`, q)
    : wholeGroup(cols.all, '', q, dialect);
  if (!NON_ASCII.test(q)) return alphabetic;
  return anyOf([alphabetic, wholeGroup(cols.all, '*=', q, dialect)]);
}

/**
 * `pattern` spans whole groups of `column`: it is followed by nothing or by another group.
 * Anchored at the start (the Alphabetic group), its literal prefix is also a range an index can use.
 */
function wholeGroup(column: string, before: string, pattern: string, dialect: SqlDialect): SqlPart {
  const whole = before + pattern;
  const groups = anyOf([dialect.wildcard(column, whole), dialect.wildcard(column, `${whole}=*`)]);
  const prefix = before ? '' : literalPrefix(pattern);
  return prefix ? allOf([prefixRange(column, prefix), groups]) : groups;
}
