import type pg from 'pg';
import { DurabilityLatch } from '../durability-latch.js';
import { PgStoreConnection } from '../../core/postgres/store-connection.js';
import type {
  ArchiveIndex,
  CommitOptions,
  CommitReceipt,
  ExistingInstance,
  IndexedWrite,
  InstanceMetadata,
  ScopeVersion,
} from '../archive-index.js';
import { instanceKey } from '../archive-upkeep.js';
import { rejectionNote } from '../rejection-note.js';
import type { InstanceRecord, InstanceScope, JournalMark, StoredInstance } from '../types.js';
import { archiveMigrations } from './schema.js';
import { PgIndexWriter } from './pg-index-writer.js';
import { existingSql, joined } from './pg-index-sql.js';

/** The first key of the two-key advisory locks on studies (the second: hashtext of the UID). */
export const STUDY_LOCK_SPACE = 0x1b_da7a;

/**
 * The archive index in PostgreSQL, for several `serve` processes on one database. A commit
 * locks the studies it touches (transaction-scoped advisory locks, taken in UID order so two
 * batches never deadlock), so aggregates and version decisions see every earlier commit.
 * Durability: `synced` and `grouped` commit with synchronous_commit on (PostgreSQL groups the
 * WAL flushes of concurrent commits itself: `durable` resolves at once); `journaled` commits
 * with synchronous_commit off — the next checkpoint(), a synchronous commit, flushes the WAL
 * past them. A failed COMMIT of a checkpoint loses durability (fail-stop, as SqliteIndex).
 * Each instance has its own blob journal, so its journal mark is its own row (`instance`).
 */
export class PgIndex implements ArchiveIndex {
  private readonly latch = new DurabilityLatch();
  private closed = false;

  private readonly markKey: string;

  private constructor(
    private readonly conn: PgStoreConnection,
    options: PgIndexOptions,
  ) {
    this.markKey = instanceKey('journal_mark', options.instance);
  }

  /** Connects (a URL: its own pool; a pool: shared, left open) and migrates `schema` (default `archive`). */
  static async open(connection: string | pg.Pool, schema = 'archive', options: PgIndexOptions = {}): Promise<PgIndex> {
    return new PgIndex(await PgStoreConnection.open(connection, schema, archiveMigrations), options);
  }

  /** The schema the tables live in (QIDO compiles against it). */
  get schema(): string {
    return this.conn.schema;
  }

  get pool(): pg.Pool {
    return this.conn.pool;
  }

  private get t(): string {
    return `${this.conn.schema}.`;
  }

  get durabilityLost(): Error | undefined {
    return this.latch.lost;
  }

  onDurabilityLost(listener: (err: Error) => void): void {
    this.latch.onLost(listener);
  }

  async findInstance(sopUid: string): Promise<ExistingInstance | undefined> {
    const { rows } = await this.pool.query<ExistingInstance>(existingSql(this.t, ''), [sopUid]);
    return rows[0];
  }

  async commit(writes: IndexedWrite[], options: CommitOptions = {}): Promise<CommitReceipt> {
    this.latch.assertWritable();
    if (writes.length === 0) return { results: [], durable: Promise.resolve() };
    const journaled = options.durability === 'journaled';
    // A journaled commit opens with synchronous_commit off, in the BEGIN's round trip (simple query protocol).
    const begin = journaled ? 'BEGIN; SET LOCAL synchronous_commit = off' : 'BEGIN';
    const results = await this.conn.transaction(async (client) => {
      await lockStudies(client, studiesTouched(writes.map((w) => w.record)));
      return new PgIndexWriter(client, this.t, Date.now()).apply(writes);
    }, begin);
    return { results, durable: Promise.resolve() };
  }

  async holdsBlob(sopUid: string, blobKey: string): Promise<boolean> {
    const t = this.t;
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM ${t}instances WHERE sop_uid = $1 AND blob_key = $2
       UNION ALL SELECT 1 FROM ${t}instance_versions WHERE sop_uid = $1 AND blob_key = $2
       UNION ALL SELECT 1 FROM ${t}rejected_instances WHERE sop_uid = $1 AND blob_key = $2 LIMIT 1`,
      [sopUid, blobKey],
    );
    return (rowCount ?? 0) > 0;
  }

  async instances(scope: InstanceScope): Promise<StoredInstance[]> {
    return instancesIn(this.pool, this.t, scope);
  }

  async metadata(scope: InstanceScope): Promise<InstanceMetadata[]> {
    const { where, params } = scopeWhere(scope);
    const { rows } = await this.pool.query<InstanceMetadata>(
      `SELECT s.series_uid AS "seriesUid", i.sop_uid AS "sopUid", i.metadata
       FROM ${joined(this.t)} WHERE ${where} ORDER BY s.series_number, s.pk, i.instance_number, i.pk`,
      params,
    );
    return rows;
  }

  async scopeVersion(scope: InstanceScope): Promise<ScopeVersion> {
    const { where, params } = scopeWhere(scope);
    const { rows } = await this.pool.query<ScopeVersion>(
      `SELECT count(*) AS count, coalesce(max(i.pk), 0) AS "lastPk", coalesce(max(i.created_at), 0) AS "lastCreated"
       FROM ${joined(this.t)} WHERE ${where}`,
      params,
    );
    return rows[0]!;
  }

  async studyInstanceCount(studyUid: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      `SELECT num_instances AS n FROM ${this.t}studies WHERE study_uid = $1`,
      [studyUid],
    );
    return rows[0]?.n ?? 0;
  }

  async delete(scope: InstanceScope, actor: string, reason: string | undefined): Promise<string[]> {
    return this.conn.transaction(async (client) => {
      await lockStudies(client, [scope.studyUid]);
      const found = await instancesIn(client, this.t, scope);
      if (found.length === 0) return [];
      return new PgIndexWriter(client, this.t, Date.now()).delete(scope, found, actor, reason);
    });
  }

  async blobKeysOfStudy(studyUid: string): Promise<Set<string>> {
    const t = this.t;
    const { rows } = await this.pool.query<{ k: string }>(
      `SELECT i.blob_key AS k FROM ${joined(t)} WHERE st.study_uid = $1
       UNION SELECT blob_key FROM ${t}rejected_instances WHERE study_uid = $1
       UNION SELECT blob_key FROM ${t}instance_versions WHERE blob_key LIKE $2 ESCAPE '\\'`,
      [studyUid, `%/${studyUid.replace(/[%_\\]/g, '\\$&')}/%`],
    );
    return new Set(rows.map((r) => r.k));
  }

  async journalMark(): Promise<JournalMark> {
    const { rows } = await this.pool.query<{ value: string }>(`SELECT value FROM ${this.t}meta WHERE key = $1`, [
      this.markKey,
    ]);
    const [segment, offset] = (rows[0]?.value ?? '0:0').split(':').map(Number);
    return { segment: segment ?? 0, offset: offset ?? 0 };
  }

  async checkpoint(mark: JournalMark): Promise<void> {
    try {
      // A synchronous commit: the WAL is flushed past it, and so past every journaled commit before it.
      await this.pool.query(
        `INSERT INTO ${this.t}meta(key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        [this.markKey, `${mark.segment}:${mark.offset}`],
      );
    } catch (e) {
      this.latch.lose(e);
      throw e;
    }
  }

  async check(): Promise<{ instances: number }> {
    const { rows } = await this.pool.query<{ instances: number }>(
      `SELECT count(*) AS instances FROM ${this.t}instances`,
    );
    return rows[0]!;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.conn.close();
  }

  /** Tests: removes the schema and everything in it. */
  dropSchema(): Promise<void> {
    return this.conn.dropSchema();
  }
}

export interface PgIndexOptions {
  /**
   * Who this process's blob journal belongs to (stable across restarts, one per data directory:
   * instance-identity.ts); its journal mark is kept apart from the other instances'. Unset: the
   * one mark of a single instance.
   */
  instance?: string;
}

export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

async function instancesIn(db: Queryable, t: string, scope: InstanceScope): Promise<StoredInstance[]> {
  const { where, params } = scopeWhere(scope);
  const { rows } = await db.query<StoredInstance>(
    `SELECT st.study_uid AS "studyUid", s.series_uid AS "seriesUid", i.sop_uid AS "sopUid",
            i.sop_class_uid AS "sopClassUid", i.transfer_syntax_uid AS "transferSyntaxUid", i.blob_key AS "blobKey",
            i.size, coalesce(i.number_of_frames, 1) AS "numberOfFrames"
     FROM ${joined(t)} WHERE ${where} ORDER BY s.series_number, s.pk, i.instance_number, i.pk`,
    params,
  );
  return rows;
}

function scopeWhere(scope: InstanceScope): { where: string; params: string[] } {
  const parts = ['st.study_uid = $1'];
  const params = [scope.studyUid];
  if (scope.seriesUid) {
    params.push(scope.seriesUid);
    parts.push(`s.series_uid = $${params.length}`);
  }
  if (scope.sopUid) {
    params.push(scope.sopUid);
    parts.push(`i.sop_uid = $${params.length}`);
  }
  return { where: parts.join(' AND '), params };
}

/** Every study a batch may change: those of its records and those a rejection note names. */
function studiesTouched(records: InstanceRecord[]): string[] {
  const uids = new Set<string>();
  for (const r of records) {
    uids.add(r.studyUid);
    for (const ref of rejectionNote(r.sopClassUid, r.json)?.refs ?? []) uids.add(ref.studyUid);
  }
  return [...uids].sort();
}

/** Serializes the writers of each study across instances, in one order so that none deadlock. */
async function lockStudies(client: pg.PoolClient, studyUids: string[]): Promise<void> {
  if (studyUids.length === 0) return;
  await client.query(
    `SELECT pg_advisory_xact_lock($1, h) FROM (SELECT DISTINCT hashtext(u) AS h FROM unnest($2::text[]) AS u ORDER BY 1) k`,
    [STUDY_LOCK_SPACE, studyUids],
  );
}
