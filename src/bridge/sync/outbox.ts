/**
 * The sync outbox (rows written by the archive index in the same transaction as each change)
 * and the record of what each study's last sync did. Pure SQL over the archive database, so
 * the server's worker and the CLI (another process) share it.
 */
import type { Database, Statement } from 'better-sqlite3';
import { OUTBOX_UPSERT } from '../../archive/sqlite/schema.js';
import type { Awaitable } from './awaitable.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sync_state (
  study_uid TEXT PRIMARY KEY,
  outcome TEXT NOT NULL,          -- written | unchanged | quarantined | retired | rejected
  fhir_id TEXT,
  version_id TEXT,
  instances INTEGER,
  synced_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sync_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export interface OutboxRow {
  studyUid: string;
  seq: number;
  firstChangedAt: number;
  changedAt: number;
  reason: string;
  attempts: number;
  nextAttemptAt: number;
  dead: boolean;
  lastError?: string;
  /**
   * Claimed by this caller (an outbox with a claim time): when its claim ends. The token of the
   * claim — renewClaims and holdClaims find it still held while the row's next attempt is this
   * time (every later claim of the row ends later: it is taken only once this one ran out).
   */
  claimedUntil?: number;
}

/** A claim this caller holds on a study's outbox row (OutboxRow.claimedUntil). */
export interface HeldClaim {
  studyUid: string;
  until: number;
}

export interface SyncRecord {
  studyUid: string;
  outcome: string;
  fhirId?: string;
  versionId?: string;
  instances?: number;
  syncedAt: number;
}

export interface DueQuery {
  now: number;
  debounceMs: number;
  maxDelayMs: number;
  limit: number;
  /**
   * Studies the caller will not take now (its syncs in flight, those it synced less than
   * minIntervalMs ago): left out before the limit, so on PostgreSQL with a claim time only the
   * rows the caller syncs now are claimed.
   */
  exclude?: readonly string[];
}

/** An outbox row as stored: `dead` is 0/1 in SQLite, a boolean in PostgreSQL. */
export interface RawOutboxRow {
  study_uid: string;
  seq: number;
  first_changed_at: number;
  changed_at: number;
  reason: string;
  attempts: number;
  next_attempt_at: number;
  dead: number | boolean;
  last_error: string | null;
}
type RawRow = RawOutboxRow;

/** A sync record as stored (both backends). */
export interface RawSyncRecord {
  study_uid: string;
  outcome: string;
  fhir_id: string | null;
  version_id: string | null;
  instances: number | null;
  synced_at: number;
}

export function outboxRowOf(r: RawOutboxRow): OutboxRow {
  const row: OutboxRow = {
    studyUid: r.study_uid,
    seq: r.seq,
    firstChangedAt: r.first_changed_at,
    changedAt: r.changed_at,
    reason: r.reason,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    dead: r.dead === true || r.dead === 1,
  };
  if (r.last_error !== null) row.lastError = r.last_error;
  return row;
}

/**
 * The studies waiting for the DICOM → FHIR sync (the transactional outbox: the archive index
 * writes a study's row in the transaction that changes the study), the dead letters, and the
 * record of each study's last sync. `seq` numbers the changes of a study: completing or parking
 * an older change leaves a newer one due. Implemented by Outbox (SQLite, the index's file,
 * synchronous) and PgOutbox (PostgreSQL, the `archive` schema, promises): callers written for
 * both await every answer (Awaitable). Shared suite: outbox-suite.ts.
 */
export interface SyncOutbox {
  /** Rows due now: quiet for `debounceMs`, or changing for `maxDelayMs`; oldest change first. */
  due(q: DueQuery): Awaitable<OutboxRow[]>;
  /**
   * When the next row (not dead, not excluded) becomes due: its next attempt, or the end of its
   * debounce (or of its maxDelay), whichever is later; undefined when there is none. Lets the
   * worker wake up when a study has been quiet for its debounce instead of at its next poll.
   */
  nextDueAt(q: Omit<DueQuery, 'now' | 'limit'>): Awaitable<number | undefined>;
  get(studyUid: string): Awaitable<OutboxRow | undefined>;
  /**
   * The row of one study to sync now, whatever its debounce (a person asked), claimed as due()
   * claims: undefined when there is none, or (PostgreSQL with a claim time) when it is not free —
   * claimed by an instance syncing it, or waiting for its next attempt. Without claims, get().
   */
  claimOne(studyUid: string, now: number): Awaitable<OutboxRow | undefined>;
  /** How long due() and claimOne() claim the rows they return (0: they only read). */
  readonly claimMs: number;
  /**
   * Extends the claims still held (the row's next attempt still the claim's end) to `now` +
   * claimMs, while their sync runs: returns them with their new end. A claim left out is lost —
   * it ran out and another caller claimed the row, or the row was completed, retried or parked.
   */
  renewClaims(held: readonly HeldClaim[], now: number): Awaitable<HeldClaim[]>;
  /**
   * The studies of `held` whose claim this caller still holds, their claims unchanged. Called in
   * the transaction of a pass's commit, before the writes it guards: on PostgreSQL the rows stay
   * locked until that commit (another instance's due() skips them), on SQLite the transaction
   * is the database's only writer.
   */
  holdClaims(held: readonly HeldClaim[]): Awaitable<string[]>;
  enqueue(studyUid: string, reason: string, now?: number): Awaitable<void>;
  /** Done with change `seq`; a change that came in meanwhile keeps the row. */
  complete(studyUid: string, seq: number, now?: number): Awaitable<void>;
  retryLater(studyUid: string, at: number, error: string): Awaitable<void>;
  /** Into the dead letters (unless a newer change moved `seq` on: that one is retried). */
  park(studyUid: string, seq: number, error: string): Awaitable<void>;
  dead(): Awaitable<OutboxRow[]>;
  pending(): Awaitable<OutboxRow[]>;
  counts(): Awaitable<{ pending: number; retrying: number; dead: number }>;
  /** Dead letters (one study, or all) due again now; returns how many. */
  replay(studyUid?: string, now?: number): Awaitable<number>;
  record(r: SyncRecord): Awaitable<void>;
  lastSync(studyUid: string): Awaitable<SyncRecord | undefined>;
  syncedCount(): Awaitable<number>;
  setMeta(key: string, value: unknown): Awaitable<void>;
  getMeta<T>(key: string): Awaitable<T | undefined>;
}

export interface OutboxOptions {
  /**
   * Several workers on one file (in one process or several): due() and claimOne() claim the rows
   * they return for this long, as PgOutbox does (PgOutboxOptions.claimMs). 0 (default): they
   * only read — the server syncs from its file alone.
   */
  claimMs?: number;
}

export class Outbox implements SyncOutbox {
  private readonly stmts: Record<string, Statement>;
  readonly claimMs: number;

  constructor(
    private readonly db: Database,
    options: OutboxOptions = {},
  ) {
    this.claimMs = options.claimMs ?? 0;
    db.exec(SCHEMA);
    this.stmts = {
      due: db.prepare(
        `SELECT * FROM sync_outbox WHERE dead = 0 AND next_attempt_at <= @now
           AND (changed_at <= @now - @debounceMs OR first_changed_at <= @now - @maxDelayMs)
           AND study_uid NOT IN (SELECT value FROM json_each(@exclude))
         ORDER BY first_changed_at LIMIT @limit`,
      ),
      nextDue: db
        .prepare(
          `SELECT min(max(next_attempt_at, min(changed_at + @debounceMs, first_changed_at + @maxDelayMs)))
             FROM sync_outbox WHERE dead = 0 AND study_uid NOT IN (SELECT value FROM json_each(@exclude))`,
        )
        .pluck(),
      get: db.prepare('SELECT * FROM sync_outbox WHERE study_uid = ?'),
      claimable: db.prepare('SELECT * FROM sync_outbox WHERE study_uid = ? AND next_attempt_at <= ?'),
      claim: db.prepare('UPDATE sync_outbox SET next_attempt_at = ? WHERE study_uid = ?'),
      renew: db.prepare('UPDATE sync_outbox SET next_attempt_at = ? WHERE study_uid = ? AND next_attempt_at = ?'),
      holds: db.prepare('SELECT 1 FROM sync_outbox WHERE study_uid = ? AND next_attempt_at = ?').pluck(),
      hasDue: db.prepare('SELECT 1 FROM sync_outbox WHERE dead = 0 AND next_attempt_at <= ? LIMIT 1').pluck(),
      upsert: db.prepare(OUTBOX_UPSERT),
      complete: db.prepare('DELETE FROM sync_outbox WHERE study_uid = ? AND seq = ?'),
      restart: db.prepare(
        'UPDATE sync_outbox SET first_changed_at = ?, attempts = 0, next_attempt_at = 0, last_error = NULL WHERE study_uid = ?',
      ),
      retry: db.prepare(
        'UPDATE sync_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE study_uid = ?',
      ),
      park: db.prepare(
        'UPDATE sync_outbox SET dead = 1, attempts = attempts + 1, last_error = ? WHERE study_uid = ? AND seq = ?',
      ),
      record: db.prepare(
        `INSERT INTO sync_state(study_uid, outcome, fhir_id, version_id, instances, synced_at) VALUES (@studyUid, @outcome, @fhirId, @versionId, @instances, @syncedAt)
         ON CONFLICT(study_uid) DO UPDATE SET outcome = excluded.outcome, fhir_id = coalesce(excluded.fhir_id, fhir_id),
           version_id = coalesce(excluded.version_id, version_id), instances = excluded.instances, synced_at = excluded.synced_at`,
      ),
    };
  }

  due(q: DueQuery): OutboxRow[] {
    const { now, debounceMs, maxDelayMs, limit } = q;
    const exclude = JSON.stringify(q.exclude ?? []);
    const read = () => this.stmts.due!.all({ now, debounceMs, maxDelayMs, limit, exclude }) as RawRow[];
    if (this.claimMs <= 0) return read().map(outboxRowOf);
    return this.claimed(read, now);
  }

  nextDueAt(q: Omit<DueQuery, 'now' | 'limit'>): number | undefined {
    const { debounceMs, maxDelayMs } = q;
    const at = this.stmts.nextDue!.get({ debounceMs, maxDelayMs, exclude: JSON.stringify(q.exclude ?? []) });
    return typeof at === 'number' ? at : undefined;
  }

  /**
   * The rows `read` finds, claimed in one IMMEDIATE transaction (no other connection writes
   * between the read and the claim): their next attempt moved to the claim's end. Returned as
   * they were, with that end as claimedUntil (PgOutbox.claimed).
   */
  private claimed(read: () => RawRow[], now: number): OutboxRow[] {
    const until = now + this.claimMs;
    return this.db
      .transaction(() =>
        read().map((r) => {
          this.stmts.claim!.run(until, r.study_uid);
          return { ...outboxRowOf(r), claimedUntil: until };
        }),
      )
      .immediate();
  }

  renewClaims(held: readonly HeldClaim[], now: number): HeldClaim[] {
    const until = now + this.claimMs;
    return this.db.transaction(() =>
      held.filter((h) => this.stmts.renew!.run(until, h.studyUid, h.until).changes > 0).map((h) => ({ ...h, until })),
    )();
  }

  holdClaims(held: readonly HeldClaim[]): string[] {
    return held.filter((h) => this.stmts.holds!.get(h.studyUid, h.until) !== undefined).map((h) => h.studyUid);
  }

  /** Whether a row is waiting for a sync now or soon (not dead, no retry scheduled later): one indexed look-up. */
  hasDue(now = Date.now()): boolean {
    return this.stmts.hasDue!.get(now) !== undefined;
  }

  get(studyUid: string): OutboxRow | undefined {
    const r = this.stmts.get!.get(studyUid) as RawRow | undefined;
    return r && outboxRowOf(r);
  }

  /** Without a claim time (one worker syncs from this file), get(). */
  claimOne(studyUid: string, now = Date.now()): OutboxRow | undefined {
    if (this.claimMs <= 0) return this.get(studyUid);
    const [row] = this.claimed(() => this.stmts.claimable!.all(studyUid, now) as RawRow[], now);
    return row;
  }

  enqueue(studyUid: string, reason: string, now = Date.now()): void {
    this.stmts.upsert!.run({ studyUid, now, reason });
  }

  /** Done with the change `seq`; a change that came in meanwhile keeps the row (due again after its own debounce). */
  complete(studyUid: string, seq: number, now = Date.now()): void {
    if (this.stmts.complete!.run(studyUid, seq).changes === 0) this.stmts.restart!.run(now, studyUid);
  }

  retryLater(studyUid: string, at: number, error: string): void {
    this.stmts.retry!.run(at, error, studyUid);
  }

  /** Parks the row in the dead-letter list; a newer change (seq moved on) gets its own try instead. */
  park(studyUid: string, seq: number, error: string): void {
    if (this.stmts.park!.run(error, studyUid, seq).changes === 0) this.stmts.retry!.run(0, error, studyUid);
  }

  dead(): OutboxRow[] {
    return (this.db.prepare('SELECT * FROM sync_outbox WHERE dead = 1 ORDER BY changed_at').all() as RawRow[]).map(
      outboxRowOf,
    );
  }

  pending(): OutboxRow[] {
    return (
      this.db.prepare('SELECT * FROM sync_outbox WHERE dead = 0 ORDER BY first_changed_at LIMIT 1000').all() as RawRow[]
    ).map(outboxRowOf);
  }

  counts(): { pending: number; retrying: number; dead: number } {
    return this.db
      .prepare(
        `SELECT coalesce(sum(dead = 0 AND attempts = 0), 0) AS pending, coalesce(sum(dead = 0 AND attempts > 0), 0) AS retrying,
                coalesce(sum(dead = 1), 0) AS dead FROM sync_outbox`,
      )
      .get() as { pending: number; retrying: number; dead: number };
  }

  /** Dead letters (one study, or all) due again now. Returns how many. */
  replay(studyUid?: string, now = Date.now()): number {
    const sql = `UPDATE sync_outbox SET dead = 0, attempts = 0, next_attempt_at = 0, first_changed_at = ?, last_error = NULL WHERE dead = 1${studyUid ? ' AND study_uid = ?' : ''}`;
    return this.db.prepare(sql).run(...(studyUid ? [now, studyUid] : [now])).changes;
  }

  record(r: SyncRecord): void {
    this.stmts.record!.run({ fhirId: null, versionId: null, instances: null, ...r });
  }

  lastSync(studyUid: string): SyncRecord | undefined {
    const r = this.db.prepare('SELECT * FROM sync_state WHERE study_uid = ?').get(studyUid) as
      | RawSyncRecord
      | undefined;
    return r && syncRecordOf(r);
  }

  syncedCount(): number {
    return (
      this.db
        .prepare(`SELECT count(*) AS n FROM sync_state WHERE outcome IN ('written', 'unchanged', 'retired')`)
        .get() as { n: number }
    ).n;
  }

  setMeta(key: string, value: unknown): void {
    this.db.prepare('INSERT OR REPLACE INTO sync_meta(key, value) VALUES (?, ?)').run(key, JSON.stringify(value));
  }

  getMeta<T>(key: string): T | undefined {
    const r = this.db.prepare('SELECT value FROM sync_meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }
}

export function syncRecordOf(r: RawSyncRecord): SyncRecord {
  const out: SyncRecord = { studyUid: r.study_uid, outcome: r.outcome, syncedAt: r.synced_at };
  if (r.fhir_id) out.fhirId = r.fhir_id;
  if (r.version_id) out.versionId = r.version_id;
  if (r.instances !== null) out.instances = r.instances;
  return out;
}
