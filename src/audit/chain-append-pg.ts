import type pg from 'pg';
import { inTransaction } from '../core/postgres/held-client.js';
import { chainHash } from './chain-hash.js';
import type { NewRecord } from './chain-store-contract.js';
import type { ChainRecord } from './types.js';

/** The chain's head: the last record's seq and hash (seq 0 and the genesis hash when empty). */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** A head no chain has: the first append of a process learns the real one from its answer. */
export const UNKNOWN_HEAD: ChainHead = { seq: -1, hash: '' };

/** Optimistic attempts (each one statement) before an append takes the head in a transaction. */
const OPTIMISTIC_ATTEMPTS = 3;

/**
 * ONE statement (one round trip; autocommit, so its own transaction) that appends `records`
 * hashed after the head the caller expects, if that is still the head. It locks the head row
 * (FOR UPDATE: appends of every instance take turns on it, as before; in READ COMMITTED the lock
 * waits for a concurrent append and then returns the head that one left), and only when that head
 * is the expected one inserts the records and moves the head. It answers the head it found and
 * how many records it inserted: 0 means another append came first — hash again after the head
 * answered and retry. The hashes need the key, which stays in the process: the database only
 * compares heads.
 *   $1 expected head seq  $2 expected head hash  $3..$6 ids, recorded, json, hashes  $7 new head hash
 */
export function appendStatement(s: string): string {
  return `WITH h AS MATERIALIZED (SELECT seq, hash FROM ${s}.head FOR UPDATE),
ok AS MATERIALIZED (SELECT 1 FROM h WHERE h.seq = $1::bigint AND h.hash = $2::text),
ins AS (
  INSERT INTO ${s}.record (seq, id, recorded, json, prev_hash, hash)
  SELECT $1::bigint + u.n, u.id, u.recorded, u.json,
         CASE WHEN u.n = 1 THEN $2::text ELSE ($6::text[])[u.n - 1] END, u.hash
  FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(id, recorded, json, hash, n)
  WHERE EXISTS (SELECT 1 FROM ok)
  RETURNING 1),
moved AS (
  UPDATE ${s}.head SET seq = $1::bigint + cardinality($3::text[]), hash = $7::text
  WHERE EXISTS (SELECT 1 FROM ok)
  RETURNING 1)
SELECT h.seq, h.hash, (SELECT count(*) FROM ins) AS inserted, (SELECT count(*) FROM moved) AS moved FROM h`;
}

/** The records as they are stored after `head`. */
export function chainAfter(head: ChainHead, records: readonly NewRecord[], key: Buffer): ChainRecord[] {
  let seq = head.seq;
  let prevHash = head.hash;
  return records.map((r) => {
    seq += 1;
    const hash = chainHash(key, prevHash, r.json);
    const record = { seq, id: r.id, recorded: r.recorded, json: r.json, prevHash, hash };
    prevHash = hash;
    return record;
  });
}

type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

/** One attempt: the stored records, or the head found instead of `expected`. */
async function attempt(
  db: Queryable,
  schema: string,
  expected: ChainHead,
  records: readonly NewRecord[],
  key: Buffer,
): Promise<{ stored: ChainRecord[] } | { head: ChainHead }> {
  // Against a head that cannot be the one: nothing hashed for nothing.
  const stored = expected.seq < 0 ? [] : chainAfter(expected, records, key);
  const col = <K extends keyof ChainRecord>(k: K) => stored.map((r) => r[k]);
  const { rows } = await db.query<{ seq: number; hash: string; inserted: number; moved: number }>({
    // Named: parsed and planned once per connection, not at every append.
    name: `ib-audit-append:${schema}`,
    text: appendStatement(schema),
    values: [
      expected.seq,
      expected.hash,
      col('id'),
      col('recorded'),
      col('json'),
      col('hash'),
      stored.at(-1)?.hash ?? '',
    ],
  });
  const row = rows[0];
  if (!row) throw new Error(`the audit chain's head row in ${schema}.head is missing`);
  // bigint and count(*) as numbers whatever the pool's type parsers.
  const [seq, inserted, moved] = [Number(row.seq), Number(row.inserted), Number(row.moved)];
  if (seq === expected.seq && row.hash === expected.hash) {
    if (inserted !== records.length || moved !== 1)
      throw new Error(`audit append stored ${inserted} of ${records.length} records (head moved: ${moved})`);
    return { stored };
  }
  return { head: { seq, hash: row.hash } };
}

/**
 * Appends `records` after the chain's head, `known` being the head this process last saw
 * (UNKNOWN_HEAD at first). Usually ONE round trip (the head is still the one this process left);
 * two when another instance appended meanwhile (the first answer gives its head). After
 * OPTIMISTIC_ATTEMPTS answers that another append came first, the head is held in a transaction
 * until this append is in (no instance waits for ever behind busier ones). Resolves when
 * committed, with the stored records (the last one is the new head).
 */
export async function appendAfterHead(
  pool: pg.Pool,
  schema: string,
  known: ChainHead,
  records: readonly NewRecord[],
  key: Buffer,
): Promise<ChainRecord[]> {
  let head = known;
  for (let i = 0; i < OPTIMISTIC_ATTEMPTS; i++) {
    const r = await attempt(pool, schema, head, records, key);
    if ('stored' in r) return r.stored;
    head = r.head;
  }
  return inTransaction(pool, async (client) => {
    // The first attempt locks the head until COMMIT, so the second one finds the head it answered.
    const first = await attempt(client, schema, head, records, key);
    if ('stored' in first) return first.stored;
    const second = await attempt(client, schema, first.head, records, key);
    if ('stored' in second) return second.stored;
    throw new Error(`the audit chain's head moved while locked (${JSON.stringify(second.head)})`);
  });
}
