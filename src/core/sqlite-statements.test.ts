import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { preparedOnce } from './sqlite-statements.js';

describe('preparedOnce', () => {
  it('gives the same statement for one connection and SQL text, another for another connection', () => {
    const a = new Database(':memory:');
    const b = new Database(':memory:');
    const sql = 'SELECT ? AS v';
    expect(preparedOnce(a, sql)).toBe(preparedOnce(a, sql));
    expect(preparedOnce(b, sql)).not.toBe(preparedOnce(a, sql));
    expect(preparedOnce(a, sql).get(7)).toEqual({ v: 7 });
    a.close();
    b.close();
  });
});
