/** The sources' state (state-store.ts) in SQLite: tables of the archive database. */
import type Database from 'better-sqlite3';
import { hasColumn, migrateSqlite, type SqliteMigration } from '../core/sqlite/migrations.js';
import type { RemoteStudy } from './pacs.js';
import type { StudyState, StudyStatus } from './plan.js';
import type { SourceRow, SourceStateStore, SourceStatus } from './state-store.js';

// Version 1 is the schema of the builds before versioned migrations (IF NOT EXISTS adopts their tables).
const MIGRATIONS: SqliteMigration[] = [
  {
    version: 1,
    description: 'source state and per-study sync state',
    up: `
CREATE TABLE IF NOT EXISTS source_state (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  mode TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  last_poll_at INTEGER,
  last_poll_ok_at INTEGER,
  last_reconcile_at INTEGER,
  last_window_from TEXT,          -- StudyDate lower bound of the last completed poll ('' = every study)
  last_error TEXT,
  polls INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS source_studies (
  source TEXT NOT NULL,
  study_uid TEXT NOT NULL,
  study_date TEXT NOT NULL DEFAULT '',
  remote_instances INTEGER,       -- as last seen on the PACS
  remote_series INTEGER,
  synced_instances INTEGER,       -- remote counts when the last sync completed
  synced_series INTEGER,
  status TEXT NOT NULL,           -- queued | fetching | done | failed
  attempts INTEGER NOT NULL DEFAULT 0,
  retry_at INTEGER,
  last_error TEXT,
  fetched INTEGER NOT NULL DEFAULT 0,  -- instances brought over (or indexed) in total
  dicomweb_url TEXT,              -- metadata-only from a DICOMweb PACS: where the images are
  first_seen_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (source, study_uid)
);
CREATE INDEX IF NOT EXISTS source_studies_status ON source_studies(source, status);
`,
  },
  {
    version: 2,
    description: 'the Endpoint choice the source was last synced with',
    // An unversioned build may have added it already.
    up: (db) => {
      if (!hasColumn(db, 'source_state', 'endpoint_choice'))
        db.exec('ALTER TABLE source_state ADD COLUMN endpoint_choice TEXT');
    },
  },
];

/** Synchronous inside (better-sqlite3); the promises resolve after the commit. */
export class SqliteSourceStateStore implements SourceStateStore {
  constructor(private readonly db: Database.Database) {
    migrateSqlite(db, 'sources', MIGRATIONS);
  }

  /**
   * Records the source's Endpoint choice; true when it differs from the recorded one (a source
   * recorded before the choice existed had `ours`). Call after register().
   */
  async endpointChoiceChanged(name: string, choice: string): Promise<boolean> {
    const row = this.db.prepare(`SELECT endpoint_choice AS c FROM source_state WHERE name = ?`).get(name) as
      | { c: string | null }
      | undefined;
    this.db.prepare(`UPDATE source_state SET endpoint_choice = ? WHERE name = ?`).run(choice, name);
    return (row?.c ?? 'ours') !== choice;
  }

  /** Every study the source has seen. */
  async studiesOf(name: string): Promise<string[]> {
    return (
      this.db.prepare(`SELECT study_uid AS uid FROM source_studies WHERE source = ?`).all(name) as { uid: string }[]
    ).map((r) => r.uid);
  }

  /** Registers a configured source; a study left `fetching` by a crash is queued again. */
  async register(s: { name: string; kind: string; mode: string; endpoint: string }, now: number): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO source_state(name, kind, mode, endpoint, updated_at) VALUES (@name, @kind, @mode, @endpoint, @now)
         ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, mode = excluded.mode, endpoint = excluded.endpoint, updated_at = excluded.updated_at`,
      )
      .run({ ...s, now });
    this.db.prepare(`UPDATE source_studies SET status = 'queued' WHERE source = ? AND status = 'fetching'`).run(s.name);
  }

  async source(name: string): Promise<SourceRow | undefined> {
    return this.row(name);
  }

  private row(name: string): SourceRow | undefined {
    return this.db
      .prepare(
        `SELECT name, kind, mode, endpoint, last_poll_at AS lastPollAt, last_poll_ok_at AS lastPollOkAt,
                last_reconcile_at AS lastReconcileAt, last_window_from AS lastWindowFrom, last_error AS lastError, polls
         FROM source_state WHERE name = ?`,
      )
      .get(name) as SourceRow | undefined;
  }

  async pollFinished(
    name: string,
    r: { at: number; windowFrom: string | undefined; reconcile: boolean; error?: string },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE source_state SET last_poll_at = @at, polls = polls + 1, updated_at = @at,
           last_poll_ok_at = CASE WHEN @error IS NULL THEN @at ELSE last_poll_ok_at END,
           last_window_from = CASE WHEN @error IS NULL THEN @windowFrom ELSE last_window_from END,
           last_reconcile_at = CASE WHEN @error IS NULL AND @reconcile = 1 THEN @at ELSE last_reconcile_at END,
           last_error = @error
         WHERE name = @name`,
      )
      .run({ name, at: r.at, windowFrom: r.windowFrom ?? '', reconcile: r.reconcile ? 1 : 0, error: r.error ?? null });
  }

  async study(source: string, studyUid: string): Promise<StudyState | undefined> {
    return this.db
      .prepare(
        `SELECT status, synced_instances AS syncedInstances, synced_series AS syncedSeries, attempts, retry_at AS retryAt
         FROM source_studies WHERE source = ? AND study_uid = ?`,
      )
      .get(source, studyUid) as StudyState | undefined;
  }

  /** The PACS answered these studies in a poll: remember their counts (status unchanged, or queued when new). One commit. */
  async seen(source: string, studies: RemoteStudy[], now: number): Promise<void> {
    const upsert = this.db.prepare(
      `INSERT INTO source_studies(source, study_uid, study_date, remote_instances, remote_series, status, first_seen_at, updated_at)
         VALUES (@source, @studyUid, @studyDate, @instances, @series, 'queued', @now, @now)
         ON CONFLICT(source, study_uid) DO UPDATE SET study_date = excluded.study_date,
           remote_instances = excluded.remote_instances, remote_series = excluded.remote_series`,
    );
    this.db.transaction(() => {
      for (const s of studies)
        upsert.run({
          source,
          studyUid: s.studyUid,
          studyDate: s.studyDate,
          instances: s.instances ?? null,
          series: s.series ?? null,
          now,
        });
    })();
  }

  /**
   * `reconcile --apply`: the study is fetched again on the source's next poll, which is made a
   * full reconcile (its window covers older studies than the look-back).
   */
  async requeue(source: string, studyUid: string, studyDate: string | undefined, now: number): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO source_studies(source, study_uid, study_date, status, first_seen_at, updated_at)
             VALUES (@source, @studyUid, @studyDate, 'queued', @now, @now)
           ON CONFLICT(source, study_uid) DO UPDATE SET status = 'queued', attempts = 0, retry_at = NULL,
             synced_instances = NULL, synced_series = NULL, updated_at = excluded.updated_at`,
        )
        .run({ source, studyUid, studyDate: studyDate ?? '', now });
      this.db.prepare('UPDATE source_state SET last_reconcile_at = NULL WHERE name = ?').run(source);
    })();
  }

  async fetching(source: string, studyUid: string, now: number): Promise<void> {
    this.db
      .prepare(`UPDATE source_studies SET status = 'fetching', updated_at = ? WHERE source = ? AND study_uid = ?`)
      .run(now, source, studyUid);
  }

  async done(
    source: string,
    studyUid: string,
    r: { instances: number | null; series: number | null; fetched: number; dicomwebUrl?: string; now: number },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE source_studies SET status = 'done', synced_instances = @instances, synced_series = @series, attempts = 0,
           retry_at = NULL, last_error = NULL, fetched = fetched + @fetched, dicomweb_url = coalesce(@dicomwebUrl, dicomweb_url),
           updated_at = @now
         WHERE source = @source AND study_uid = @studyUid`,
      )
      .run({
        source,
        studyUid,
        instances: r.instances,
        series: r.series,
        fetched: r.fetched,
        dicomwebUrl: r.dicomwebUrl ?? null,
        now: r.now,
      });
  }

  async failed(
    source: string,
    studyUid: string,
    r: { error: string; retryAt: number; fetched: number; now: number },
  ): Promise<void> {
    this.db
      .prepare(
        `UPDATE source_studies SET status = 'failed', attempts = attempts + 1, retry_at = @retryAt, last_error = @error,
           fetched = fetched + @fetched, updated_at = @now
         WHERE source = @source AND study_uid = @studyUid`,
      )
      .run({ source, studyUid, ...r });
  }

  async status(): Promise<SourceStatus[]> {
    const rows = this.db.prepare(`SELECT name FROM source_state ORDER BY name`).all() as { name: string }[];
    return rows.map(({ name }) => {
      const studies: Record<StudyStatus, number> = { queued: 0, fetching: 0, done: 0, failed: 0 };
      for (const r of this.db
        .prepare(`SELECT status, count(*) AS n FROM source_studies WHERE source = ? GROUP BY status`)
        .all(name) as {
        status: StudyStatus;
        n: number;
      }[]) {
        studies[r.status] = r.n;
      }
      const fetched = this.db
        .prepare(`SELECT coalesce(sum(fetched), 0) AS n FROM source_studies WHERE source = ?`)
        .get(name) as { n: number };
      const failures = this.db
        .prepare(
          `SELECT study_uid AS studyUid, last_error AS error, attempts FROM source_studies WHERE source = ? AND status = 'failed' ORDER BY updated_at DESC LIMIT 20`,
        )
        .all(name) as { studyUid: string; error: string; attempts: number }[];
      return { ...this.row(name)!, studies, instancesFetched: fetched.n, failures };
    });
  }
}
