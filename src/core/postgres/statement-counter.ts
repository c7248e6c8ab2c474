import type pg from 'pg';

/**
 * Counts the statements sent through `pool` from now on (every client it connects afterwards):
 * the returned function reads the count. For tests and probes comparing round trips.
 */
export function countStatements(pool: pg.Pool): () => number {
  let statements = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...a: unknown[]) => unknown;
    (client as unknown as { query: (...a: unknown[]) => unknown }).query = (...a: unknown[]) => {
      statements++;
      return query(...a);
    };
  });
  return () => statements;
}
