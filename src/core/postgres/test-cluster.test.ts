import { describe, expect, it } from 'vitest';
import { testPostgres } from './test-cluster.js';

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
});
