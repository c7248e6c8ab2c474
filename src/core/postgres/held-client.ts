import type pg from 'pg';

/**
 * A client checked out of a pool, with an 'error' listener for as long as it is held. pg-pool
 * listens for 'error' only on idle clients; a held client whose connection dies (PostgreSQL
 * restarted: 57P01 then ECONNRESET) emits 'error' outside any query, and an 'error' event with
 * no listener ends the process. Here it is recorded instead, and release() hands it to the pool,
 * which then discards the client rather than pooling a dead connection.
 */
export interface HeldClient {
  readonly client: pg.PoolClient;
  /** Back to the pool; discarded when `err` is given or the connection failed while held. */
  release(err?: Error): void;
}

export async function checkOut(pool: pg.Pool): Promise<HeldClient> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost ??= err;
  };
  client.on('error', onError);
  return {
    client,
    release(err) {
      client.removeListener('error', onError);
      client.release(err ?? lost);
    },
  };
}

/**
 * `fn` in one transaction on one connection of `pool` (opened with `begin`): committed when it
 * resolves, rolled back when it throws. A connection whose ROLLBACK fails is discarded.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const held = await checkOut(pool);
  const client = held.client;
  let broken: Error | undefined;
  try {
    await client.query(begin);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch((err: Error) => {
      broken = err;
    });
    throw e;
  } finally {
    held.release(broken);
  }
}
