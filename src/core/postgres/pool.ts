import { createRequire } from 'node:module';
import type pg from 'pg';

/**
 * `pg` is required at the first pool, not imported: a server on SQLite never loads it (≈ 3 MB of
 * heap and its code at idle, issue 21). Synchronous, so openPool stays so.
 */
let driver: typeof pg | undefined;
function loadPg(): typeof pg {
  driver ??= createRequire(import.meta.url)('pg') as typeof pg;
  return driver;
}

/**
 * bigint (int8) and count(*) as JavaScript numbers: our int8 columns hold row keys and epoch
 * milliseconds, all below 2^53. Per pool, not pg's global type table.
 */
function int8AsNumber(types: typeof pg.types): { getTypeParser: typeof pg.types.getTypeParser } {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === types.builtins.INT8
        ? (v: string) => Number(v)
        : types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
  };
}

/** A connection pool to `url` (postgres://USER[:PASS]@HOST[:PORT]/DB, `?host=/socket/dir` for a Unix socket). */
export function openPool(url: string, options: { max?: number } = {}): pg.Pool {
  const pg = loadPg();
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, types: int8AsNumber(pg.types) });
  // An idle client whose connection dies emits 'error' on the pool; unhandled it would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/** The URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
