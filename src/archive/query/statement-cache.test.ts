import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StatementCache } from './statement-cache.js';

describe('StatementCache', () => {
  it('prepares a SQL text once and hands back the same statement', () => {
    const cache = new StatementCache(new Database(':memory:'));
    expect(cache.get('SELECT ? AS v')).toBe(cache.get('SELECT ? AS v'));
    expect(cache.size).toBe(1);
  });

  it('drops the least recently used statement when full', () => {
    const cache = new StatementCache(new Database(':memory:'), 2);
    const one = cache.get('SELECT 1');
    cache.get('SELECT 2');
    cache.get('SELECT 1');
    cache.get('SELECT 3');
    expect(cache.size).toBe(2);
    expect(cache.get('SELECT 1')).toBe(one);
  });
});
