import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { limitSql } from './sqlite-limit.js';

describe('limitSql', () => {
  it('writes a checked integer into the SQL', () => {
    expect(limitSql(0)).toBe('LIMIT 0');
    expect(limitSql(100)).toBe('LIMIT 100');
    for (const bad of [-1, 1.5, Number.NaN, Infinity, 2 ** 60]) expect(() => limitSql(bad)).toThrow(RangeError);
  });

  it('limits a prepared statement whose OFFSET stays bound', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY); INSERT INTO t (n) VALUES (1), (2), (3), (4), (5)');
    const page = db.prepare(`SELECT n FROM t ORDER BY n ${limitSql(2)} OFFSET ?`).pluck();
    expect(page.all(0)).toEqual([1, 2]);
    expect(page.all(4)).toEqual([5]);
    db.close();
  });
});
