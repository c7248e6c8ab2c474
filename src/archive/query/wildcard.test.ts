import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { globMatch, literalPrefix, toGlob } from './wildcard.js';

describe('DICOM wildcards as SQLite GLOB', () => {
  it('keeps * and ? and escapes [', () => {
    expect(toGlob('a*b?c')).toBe('a*b?c');
    expect(toGlob('KNEE [LEFT]*')).toBe('KNEE [[]LEFT]*');
  });

  it('finds the literal prefix that an index can range over', () => {
    expect(literalPrefix('smith*')).toBe('smith');
    expect(literalPrefix('sm?th')).toBe('sm');
    expect(literalPrefix('*smith')).toBe('');
  });

  it('matches the same strings as the DICOM pattern means, non-ASCII included', () => {
    const db = new Database(':memory:');
    db.exec(
      "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('smith'), ('smithson'), ('smyth'), ('[x]'), ('müller'), ('山田^太郎'), ('sm')",
    );
    const match = (pattern: string) => {
      const { sql, params } = globMatch('v', pattern);
      return (db.prepare(`SELECT v FROM t WHERE ${sql} ORDER BY rowid`).all(...params) as { v: string }[]).map(
        (r) => r.v,
      );
    };
    expect(match('smith*')).toEqual(['smith', 'smithson']);
    expect(match('sm?th')).toEqual(['smith', 'smyth']);
    expect(match('[x]')).toEqual(['[x]']);
    expect(match('mü*')).toEqual(['müller']);
    expect(match('山田*')).toEqual(['山田^太郎']);
    expect(match('*son')).toEqual(['smithson']);
    db.close();
  });
});
