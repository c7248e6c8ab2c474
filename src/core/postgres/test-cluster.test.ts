import { describe, expect, it } from 'vitest';
import { suitePostgres } from './suite-postgres.js';
import { testPostgres } from './test-cluster.js';

// Set up as a suite file sets it up, with no PostgreSQL to find: skipped, and why.
const none = suitePostgres({}, '/nonexistent');
const given = suitePostgres({ PG_TEST_URL: 'postgres://ci@db.example/test' }, '/nonexistent');

describe('testPostgres', () => {
  it('uses the server at PG_TEST_URL when it is set, without starting one', async () => {
    const given = testPostgres({ PG_TEST_URL: 'postgres://ci@db.example/test' }, '/nonexistent');
    expect('url' in given && (await given.url())).toBe('postgres://ci@db.example/test');
  });

  it('gives the reason to skip when there is neither PG_TEST_URL nor a PostgreSQL installation', () => {
    expect(testPostgres({}, '/nonexistent')).toEqual({
      reason: 'no PostgreSQL: PG_TEST_URL unset and no /nonexistent/<version>/bin/initdb',
    });
  });

  it('suitePostgres: without PostgreSQL the suites are skipped with the reason in their names; with one, they run', async () => {
    const reason = 'no PostgreSQL: PG_TEST_URL unset and no /nonexistent/<version>/bin/initdb';
    expect(none.skip).toBe(reason);
    expect(none.title('PostgreSQL lease')).toBe(`PostgreSQL lease (skipped: ${reason})`);
    await expect(none.url()).rejects.toThrow(reason);
    expect(given.skip).toBeUndefined();
    expect(given.title('PostgreSQL lease')).toBe('PostgreSQL lease');
    expect(await given.url()).toBe('postgres://ci@db.example/test');
  });
});
