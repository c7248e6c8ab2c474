import { outboxUpsertSql } from '../../archive/postgres/pg-index-sql.js';
import {
  outboxRowOf,
  type HeldClaim,
  syncRecordOf,
  type DueQuery,
  type OutboxRow,
  type RawOutboxRow,
  type RawSyncRecord,
  type SyncOutbox,
  type SyncRecord,
} from '../sync/outbox.js';
import type { PgBridgeDb } from './pg-bridge-db.js';
import type { BatchKind } from './pg-write-batch.js';

interface Completion {
  studyUid: string;
  seq: number;
  now: number;
}

const SYNC_STATE_UPSERT = (t: string) => `ON CONFLICT (study_uid) DO UPDATE SET outcome = excluded.outcome,
         fhir_id = coalesce(excluded.fhir_id, ${t}sync_state.fhir_id),
         version_id = coalesce(excluded.version_id, ${t}sync_state.version_id),
         instances = excluded.instances, synced_at = excluded.synced_at`;

export interface PgOutboxOptions {
  /**
   * Several instances on one database: due() claims the rows it returns for this long (their
   * next attempt moved past the claim, rows another instance is claiming skipped), so each is
   * synced by one instance. The caller syncs every row it gets at once (what it would skip goes
   * in DueQuery.exclude, never claimed); a dead instance's rows are due again when the claim runs out.
   * The sync worker renews the claims of a running pass (renewClaims, claim-renewal.ts).
   * Completing, retrying or parking a row ends its claim. 0 (default): due() only reads, as on SQLite.
   */
  claimMs?: number;
}

/**
 * The sync outbox and sync records in the PostgreSQL archive schema (SyncOutbox; rows written
 * by PgIndex in the transaction of each change, as SqliteIndex does). Statement for statement
 * the SQLite Outbox; completing and parking read-and-write in one transaction.
 */
export class PgOutbox implements SyncOutbox {
  /** complete() of several studies: the rows of the synced seq deleted, then the others (changed since) reset. */
  private readonly completeBatch: BatchKind<Completion>;
  /** record() of several studies. */
  private readonly recordBatch: BatchKind<SyncRecord>;

  constructor(
    private readonly db: PgBridgeDb,
    private readonly options: PgOutboxOptions = {},
  ) {
    const t = db.t;
    this.completeBatch = {
      table: `${t}sync_outbox`,
      run: async (query, items) => {
        const done = await query(
          `DELETE FROM ${t}sync_outbox o USING unnest($1::text[], $2::int[]) AS h(study_uid, seq)
           WHERE o.study_uid = h.study_uid AND o.seq = h.seq RETURNING o.study_uid`,
          [items.map((c) => c.studyUid), items.map((c) => c.seq)],
        );
        const deleted = new Set((done.rows as { study_uid: string }[]).map((r) => r.study_uid));
        const rest = items.filter((c) => !deleted.has(c.studyUid));
        if (rest.length === 0) return;
        // As complete(): a statement after the DELETE (its own snapshot), each row reset with its time.
        await query(
          `UPDATE ${t}sync_outbox o SET first_changed_at = h.now, attempts = 0, next_attempt_at = 0, last_error = NULL
           FROM unnest($1::text[], $2::bigint[]) AS h(study_uid, now) WHERE o.study_uid = h.study_uid`,
          [rest.map((c) => c.studyUid), rest.map((c) => c.now)],
        );
      },
    };
    this.recordBatch = {
      table: `${t}sync_state`,
      run: async (query, records) => {
        await query(
          `INSERT INTO ${t}sync_state(study_uid, outcome, fhir_id, version_id, instances, synced_at)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[])
           ${SYNC_STATE_UPSERT(t)}`,
          [
            records.map((r) => r.studyUid),
            records.map((r) => r.outcome),
            records.map((r) => r.fhirId ?? null),
            records.map((r) => r.versionId ?? null),
            records.map((r) => r.instances ?? null),
            records.map((r) => r.syncedAt),
          ],
        );
      },
    };
  }

  private get t(): string {
    return this.db.t;
  }

  async due(q: DueQuery): Promise<OutboxRow[]> {
    const select = `SELECT * FROM ${this.t}sync_outbox WHERE NOT dead AND next_attempt_at <= $1
         AND (changed_at <= $1 - $2 OR first_changed_at <= $1 - $3)
         AND NOT (study_uid = ANY($5::text[]))
       ORDER BY first_changed_at LIMIT $4`;
    const params = [q.now, q.debounceMs, q.maxDelayMs, q.limit, q.exclude ?? []];
    if (this.claimMs <= 0) return (await this.db.rows<RawOutboxRow>(select, params)).map(outboxRowOf);
    return this.claimed(select, params);
  }

  async nextDueAt(q: Omit<DueQuery, 'now' | 'limit'>): Promise<number | undefined> {
    const [row] = await this.db.rows<{ at: string | number | null }>(
      `SELECT min(greatest(next_attempt_at, least(changed_at + $1::bigint, first_changed_at + $2::bigint))) AS at
         FROM ${this.t}sync_outbox WHERE NOT dead AND NOT (study_uid = ANY($3::text[]))`,
      [q.debounceMs, q.maxDelayMs, q.exclude ?? []],
    );
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  /** A person's sync of one study: claimed as due() claims, its debounce (and deadness) aside. */
  async claimOne(studyUid: string, now: number): Promise<OutboxRow | undefined> {
    if (this.claimMs <= 0) return this.get(studyUid);
    const select = `SELECT * FROM ${this.t}sync_outbox WHERE study_uid = $2 AND next_attempt_at <= $1`;
    const [row] = await this.claimed(select, [now, studyUid]);
    return row;
  }

  /**
   * The rows `select` finds ($1 the time now) that no other transaction is claiming, claimed:
   * their next attempt moved past the claim time. Returned as they were (next_attempt_at before
   * the claim), so the caller sees what SQLite shows, with the claim's end as claimedUntil.
   */
  private async claimed(select: string, params: unknown[]): Promise<OutboxRow[]> {
    const until = Number(params[0]) + this.claimMs;
    const rows = await this.db.rows<RawOutboxRow>(
      `WITH due AS (${select} FOR UPDATE SKIP LOCKED),
         claimed AS (UPDATE ${this.t}sync_outbox o SET next_attempt_at = $1 + $${params.length + 1} FROM due
           WHERE o.study_uid = due.study_uid RETURNING o.study_uid)
       SELECT due.* FROM due JOIN claimed USING (study_uid) ORDER BY due.first_changed_at`,
      [...params, this.claimMs],
    );
    return rows.map((r) => ({ ...outboxRowOf(r), claimedUntil: until }));
  }

  get claimMs(): number {
    return this.options.claimMs ?? 0;
  }

  /** One statement for all; rows in study order, so two renewals never wait for each other in a circle. */
  async renewClaims(held: readonly HeldClaim[], now: number): Promise<HeldClaim[]> {
    if (held.length === 0) return [];
    const sorted = [...held].sort((a, b) => (a.studyUid < b.studyUid ? -1 : a.studyUid > b.studyUid ? 1 : 0));
    const until = now + this.claimMs;
    const rows = await this.db.rows<{ study_uid: string }>(
      `WITH mine AS (
         SELECT o.study_uid FROM ${this.t}sync_outbox o
           JOIN unnest($1::text[], $2::bigint[]) AS h(study_uid, until)
             ON o.study_uid = h.study_uid AND o.next_attempt_at = h.until
         ORDER BY o.study_uid FOR UPDATE OF o)
       UPDATE ${this.t}sync_outbox o SET next_attempt_at = $3 FROM mine WHERE o.study_uid = mine.study_uid
       RETURNING o.study_uid`,
      [sorted.map((h) => h.studyUid), sorted.map((h) => h.until), until],
    );
    const renewed = new Set(rows.map((r) => r.study_uid));
    return held.filter((h) => renewed.has(h.studyUid)).map((h) => ({ studyUid: h.studyUid, until }));
  }

  /** Locks the rows still held (FOR UPDATE: until the caller's transaction ends; due() elsewhere skips them). */
  async holdClaims(held: readonly HeldClaim[]): Promise<string[]> {
    if (held.length === 0) return [];
    const rows = await this.db.rows<{ study_uid: string }>(
      `SELECT o.study_uid FROM ${this.t}sync_outbox o
         JOIN unnest($1::text[], $2::bigint[]) AS h(study_uid, until)
           ON o.study_uid = h.study_uid AND o.next_attempt_at = h.until
       ORDER BY o.study_uid FOR UPDATE OF o`,
      [held.map((h) => h.studyUid), held.map((h) => h.until)],
    );
    return rows.map((r) => r.study_uid);
  }

  async get(studyUid: string): Promise<OutboxRow | undefined> {
    const [r] = await this.db.rows<RawOutboxRow>(`SELECT * FROM ${this.t}sync_outbox WHERE study_uid = $1`, [studyUid]);
    return r && outboxRowOf(r);
  }

  async enqueue(studyUid: string, reason: string, now = Date.now()): Promise<void> {
    await this.db.query(outboxUpsertSql(this.t), [studyUid, now, reason]);
  }

  async complete(studyUid: string, seq: number, now = Date.now()): Promise<void> {
    if (this.db.defer(this.completeBatch, studyUid, { studyUid, seq, now })) return;
    await this.db.transaction(async () => {
      const done = await this.db.query(`DELETE FROM ${this.t}sync_outbox WHERE study_uid = $1 AND seq = $2`, [
        studyUid,
        seq,
      ]);
      if (done.rowCount === 0)
        await this.db.query(
          `UPDATE ${this.t}sync_outbox SET first_changed_at = $1, attempts = 0, next_attempt_at = 0, last_error = NULL WHERE study_uid = $2`,
          [now, studyUid],
        );
    });
  }

  async retryLater(studyUid: string, at: number, error: string): Promise<void> {
    await this.retry(studyUid, at, error);
  }

  async park(studyUid: string, seq: number, error: string): Promise<void> {
    await this.db.transaction(async () => {
      const parked = await this.db.query(
        `UPDATE ${this.t}sync_outbox SET dead = true, attempts = attempts + 1, last_error = $1 WHERE study_uid = $2 AND seq = $3`,
        [error, studyUid, seq],
      );
      if (parked.rowCount === 0) await this.retry(studyUid, 0, error);
    });
  }

  private async retry(studyUid: string, at: number, error: string): Promise<void> {
    await this.db.query(
      `UPDATE ${this.t}sync_outbox SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE study_uid = $3`,
      [at, error, studyUid],
    );
  }

  async dead(): Promise<OutboxRow[]> {
    const rows = await this.db.rows<RawOutboxRow>(`SELECT * FROM ${this.t}sync_outbox WHERE dead ORDER BY changed_at`);
    return rows.map(outboxRowOf);
  }

  async pending(): Promise<OutboxRow[]> {
    const rows = await this.db.rows<RawOutboxRow>(
      `SELECT * FROM ${this.t}sync_outbox WHERE NOT dead ORDER BY first_changed_at LIMIT 1000`,
    );
    return rows.map(outboxRowOf);
  }

  async counts(): Promise<{ pending: number; retrying: number; dead: number }> {
    const [r] = await this.db.rows<{ pending: number; retrying: number; dead: number }>(
      `SELECT count(*) FILTER (WHERE NOT dead AND attempts = 0) AS pending,
              count(*) FILTER (WHERE NOT dead AND attempts > 0) AS retrying,
              count(*) FILTER (WHERE dead) AS dead FROM ${this.t}sync_outbox`,
    );
    return { pending: r!.pending, retrying: r!.retrying, dead: r!.dead };
  }

  async replay(studyUid?: string, now = Date.now()): Promise<number> {
    const sql = `UPDATE ${this.t}sync_outbox SET dead = false, attempts = 0, next_attempt_at = 0, first_changed_at = $1, last_error = NULL
      WHERE dead${studyUid ? ' AND study_uid = $2' : ''}`;
    return (await this.db.query(sql, studyUid ? [now, studyUid] : [now])).rowCount ?? 0;
  }

  async record(r: SyncRecord): Promise<void> {
    if (this.db.defer(this.recordBatch, r.studyUid, r)) return;
    await this.db.query(
      `INSERT INTO ${this.t}sync_state(study_uid, outcome, fhir_id, version_id, instances, synced_at) VALUES ($1, $2, $3, $4, $5, $6)
       ${SYNC_STATE_UPSERT(this.t)}`,
      [r.studyUid, r.outcome, r.fhirId ?? null, r.versionId ?? null, r.instances ?? null, r.syncedAt],
    );
  }

  async lastSync(studyUid: string): Promise<SyncRecord | undefined> {
    const [r] = await this.db.rows<RawSyncRecord>(`SELECT * FROM ${this.t}sync_state WHERE study_uid = $1`, [studyUid]);
    return r && syncRecordOf(r);
  }

  async syncedCount(): Promise<number> {
    const [r] = await this.db.rows<{ n: number }>(
      `SELECT count(*) AS n FROM ${this.t}sync_state WHERE outcome IN ('written', 'unchanged', 'retired')`,
    );
    return r!.n;
  }

  async setMeta(key: string, value: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t}sync_meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [key, JSON.stringify(value)],
    );
  }

  async getMeta<T>(key: string): Promise<T | undefined> {
    const [r] = await this.db.rows<{ value: string }>(`SELECT value FROM ${this.t}sync_meta WHERE key = $1`, [key]);
    return r ? (JSON.parse(r.value) as T) : undefined;
  }
}
