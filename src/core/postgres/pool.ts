import pg from 'pg';

/**
 * bigint (int8) and count(*) as JavaScript numbers: our int8 columns hold row keys and epoch
 * milliseconds, all below 2^53. Per pool, not pg's global type table.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8
      ? (v: string) => Number(v)
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** A connection pool to `url` (postgres://USER[:PASS]@HOST[:PORT]/DB, `?host=/socket/dir` for a Unix socket). */
export function openPool(url: string, options: { max?: number } = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: TYPES });
  // An idle client whose connection dies emits 'error' on the pool; unhandled it would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
