import type pg from 'pg';
import { checkSchemaCurrent, checkSchemaName, type Migration, migrate } from '../core/postgres/migrations.js';
import { openPool } from '../core/postgres/pool.js';
import { appendAfterHead, type ChainHead, UNKNOWN_HEAD } from './chain-append-pg.js';
import { GENESIS_HASH } from './chain-hash.js';
import { type AuditChainStore, DuplicateAuditIdError, type NewRecord } from './chain-store-contract.js';
import type { ChainRecord } from './types.js';
import { type ChainRow, toChainRecord } from './chain-row.js';

/** The audit chain's tables in PostgreSQL schema `s` (default `audit`). Released versions are never edited. */
export function auditMigrations(s: string): Migration[] {
  return [
    {
      version: 1,
      description: 'audit chain, its head, projection watermarks, key id',
      sql: `
CREATE TABLE ${s}.record (
  seq bigint PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  recorded text NOT NULL,
  json text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL
);
-- One row: the head every append locks (FOR UPDATE), so appends from every instance take turns.
CREATE TABLE ${s}.head (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  seq bigint NOT NULL,
  hash text NOT NULL
);
INSERT INTO ${s}.head (seq, hash) VALUES (0, '${GENESIS_HASH}');
CREATE TABLE ${s}.projection (target text COLLATE "C" PRIMARY KEY, upto bigint NOT NULL);
-- Which key the chain is hashed with (an HMAC of a constant, not the key): instances with another key are refused.
CREATE TABLE ${s}.key_id (one boolean PRIMARY KEY DEFAULT true CHECK (one), id text NOT NULL);
CREATE FUNCTION ${s}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS
  $$ BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$;
CREATE TRIGGER record_append_only BEFORE UPDATE OR DELETE ON ${s}.record
  FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_change();
CREATE TRIGGER record_no_truncate BEFORE TRUNCATE ON ${s}.record
  FOR EACH STATEMENT EXECUTE FUNCTION ${s}.refuse_change();`,
    },
  ];
}

/**
 * The audit chain in PostgreSQL: ONE chain for every instance sharing the database. An append
 * locks the single head row (`SELECT … FOR UPDATE`), so appends — from any process — are
 * serialised: the next one reads the head only after the previous one committed, and commits
 * land in seq order (a reader never sees a gap that fills later). An append is one statement
 * (chain-append-pg.ts) hashed after the head this process last left, which the database checks
 * under that lock: one round trip, two when another instance appended meanwhile. Durable when
 * append() resolves: the statement's COMMIT waits for the WAL flush (synchronous_commit, on by
 * default).
 */
export class PgChainStore implements AuditChainStore {
  /** The head this process last left or saw: what its next append expects (checked by the database). */
  private knownHead: ChainHead = UNKNOWN_HEAD;
  private appending: Promise<void> = Promise.resolve();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly ownsPool: boolean,
    readonly schema: string,
    private readonly readonly: boolean,
  ) {}

  /**
   * Connects and applies the migrations (refusing a newer schema). `readonly`: migrates nothing
   * (the schema must exist) and refuses writes — for `audit verify` and `export`.
   */
  static async open(
    connection: string | pg.Pool,
    options: { schema?: string; readonly?: boolean } = {},
  ): Promise<PgChainStore> {
    const schema = checkSchemaName(options.schema ?? 'audit');
    const pool = typeof connection === 'string' ? openPool(connection, { max: 4 }) : connection;
    try {
      // Read-only: nothing is migrated, so the schema must be the one this version reads.
      if (options.readonly) await checkSchemaCurrent(pool, schema, auditMigrations(schema), 'audit chain');
      else await migrate(pool, schema, auditMigrations(schema));
    } catch (e) {
      if (typeof connection === 'string') await pool.end();
      throw e;
    }
    return new PgChainStore(pool, typeof connection === 'string', schema, options.readonly ?? false);
  }

  /**
   * Records `keyId` as the chain's key on first use; returns the one recorded (compare: another
   * value means this instance hashes with another key and must not append).
   */
  async claimKeyId(keyId: string): Promise<string> {
    this.writable();
    await this.pool.query(`INSERT INTO ${this.schema}.key_id (id) VALUES ($1) ON CONFLICT DO NOTHING`, [keyId]);
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.schema}.key_id`);
    return rows[0]!.id;
  }

  /** The key id recorded by claimKeyId(), if any. */
  async keyId(): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ id: string }>(`SELECT id FROM ${this.schema}.key_id`);
    return rows[0]?.id;
  }

  async append(records: readonly NewRecord[], key: Buffer): Promise<ChainRecord[]> {
    this.writable();
    if (records.length === 0) return [];
    // One append of this process at a time: they would only make each other retry.
    const turn = this.appending.then(() => this.appendNow(records, key));
    this.appending = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async appendNow(records: readonly NewRecord[], key: Buffer): Promise<ChainRecord[]> {
    try {
      const stored = await appendAfterHead(this.pool, this.schema, this.knownHead, records, key);
      const last = stored[stored.length - 1]!;
      this.knownHead = { seq: last.seq, hash: last.hash };
      return stored;
    } catch (e) {
      if ((e as { code?: unknown }).code === '23505' && /\bid\b|record_id_key/.test(String((e as Error).message)))
        throw new DuplicateAuditIdError(/\(id\)=\((.*)\)/.exec(String((e as { detail?: unknown }).detail))?.[1], {
          cause: e,
        });
      throw e;
    }
  }

  async hashAt(seq: number): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ hash: string }>(`SELECT hash FROM ${this.schema}.record WHERE seq = $1`, [
      seq,
    ]);
    return rows[0]?.hash;
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const { rows } = await this.pool.query<{ seq: number; hash: string }>(
      `SELECT seq, hash FROM ${this.schema}.record ORDER BY seq DESC LIMIT 1`,
    );
    return rows[0];
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${this.schema}.record`);
    return rows[0]!.n;
  }

  async *iterate(after = 0, batch = 1000): AsyncGenerator<ChainRecord> {
    for (;;) {
      const { rows } = await this.pool.query<ChainRow>(
        `SELECT seq, id, recorded, json, prev_hash, hash FROM ${this.schema}.record WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [after, batch],
      );
      for (const r of rows) yield toChainRecord(r);
      if (rows.length < batch) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async projectedUpTo(target: string): Promise<number> {
    const { rows } = await this.pool.query<{ upto: number }>(
      `SELECT upto FROM ${this.schema}.projection WHERE target = $1`,
      [target],
    );
    return rows[0]?.upto ?? 0;
  }

  async setProjectedUpTo(target: string, upto: number): Promise<void> {
    this.writable();
    await this.pool.query(
      `INSERT INTO ${this.schema}.projection (target, upto) VALUES ($1, $2)
       ON CONFLICT (target) DO UPDATE SET upto = greatest(${this.schema}.projection.upto, excluded.upto)`,
      [target, upto],
    );
  }

  /** For tests: drops the schema (and the chain in it). */
  async dropSchema(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  private writable(): void {
    if (this.readonly) throw new Error('the audit chain is open read-only');
  }
}
