import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { hasColumn, migrateSqlite, SqliteSchemaTooNewError, type SqliteMigration } from './migrations.js';

const steps: SqliteMigration[] = [
  { version: 1, description: 'things', up: 'CREATE TABLE things (id INTEGER PRIMARY KEY)' },
  {
    version: 2,
    description: 'thing names',
    up: (db) => {
      if (!hasColumn(db, 'things', 'name')) db.exec('ALTER TABLE things ADD COLUMN name TEXT');
    },
  },
];

const recorded = (db: Database.Database, store: string) =>
  (
    db.prepare('SELECT version FROM schema_migrations WHERE store = ? ORDER BY version').all(store) as {
      version: number;
    }[]
  ).map((r) => r.version);

describe('migrateSqlite', () => {
  it('applies every step once, in order, and records each per store', () => {
    const db = new Database(':memory:');
    expect(migrateSqlite(db, 'alpha', [steps[1], steps[0]])).toBe(2);
    expect(hasColumn(db, 'things', 'name')).toBe(true);
    expect(recorded(db, 'alpha')).toEqual([1, 2]);
    // Again: nothing to do (a step run twice would fail on CREATE TABLE).
    expect(migrateSqlite(db, 'alpha', steps)).toBe(2);
    expect(recorded(db, 'alpha')).toEqual([1, 2]);
  });

  it('keeps the versions of stores sharing one file apart', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, 'alpha', steps);
    migrateSqlite(db, 'beta', [{ version: 1, description: 'others', up: 'CREATE TABLE others (id INTEGER)' }]);
    expect(recorded(db, 'beta')).toEqual([1]);
    expect(recorded(db, 'alpha')).toEqual([1, 2]);
  });

  it('runs only the steps above the recorded version when a build adds one', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, 'alpha', [steps[0]]);
    expect(hasColumn(db, 'things', 'name')).toBe(false);
    expect(migrateSqlite(db, 'alpha', steps)).toBe(2);
    expect(hasColumn(db, 'things', 'name')).toBe(true);
  });

  it('leaves nothing half-applied when a step fails', () => {
    const db = new Database(':memory:');
    const bad: SqliteMigration[] = [
      steps[0],
      { version: 2, description: 'broken', up: 'CREATE TABLE more (id INTEGER); SELECT * FROM missing' },
    ];
    expect(() => migrateSqlite(db, 'alpha', bad)).toThrow(/no such table: missing/);
    // Not even the record table: the whole run was one transaction.
    expect(db.prepare(`SELECT name FROM sqlite_master`).all()).toEqual([]);
  });

  it('refuses a schema recorded by a newer build before writing anything', () => {
    const db = new Database(':memory:');
    migrateSqlite(db, 'alpha', steps);
    db.prepare(`INSERT INTO schema_migrations VALUES ('alpha', 7, 'from the future', '')`).run();
    const refused = (() => {
      try {
        migrateSqlite(db, 'alpha', [...steps, { version: 3, description: 'never', up: 'CREATE TABLE never (x)' }]);
      } catch (e) {
        return e;
      }
    })();
    expect(refused).toBeInstanceOf(SqliteSchemaTooNewError);
    expect(String(refused)).toMatch(/"alpha" is at schema version 7, newer than this ImagingBridge knows \(3\)/);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'never'`).get()).toBeUndefined();
  });

  it('refuses a store name that is not a plain identifier', () => {
    expect(() => migrateSqlite(new Database(':memory:'), 'a; DROP', steps)).toThrow(/not a valid store name/);
  });
});
