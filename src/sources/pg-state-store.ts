/**
 * The sources' state (state-store.ts) in PostgreSQL, schema `sources` by default: the same
 * tables as in SQLite. Several instances may share it; each write is one statement or one
 * transaction.
 */
import type pg from 'pg';
import type { Migration } from '../core/postgres/migrations.js';
import { PgStoreConnection } from '../core/postgres/store-connection.js';
import type { RemoteStudy } from './pacs.js';
import type { StudyState, StudyStatus } from './plan.js';
import type { SourceRow, SourceStateStore, SourceStatus } from './state-store.js';

export function sourceStateMigrations(schema: string): Migration[] {
  const s = `${schema}.`;
  const C = 'text COLLATE "C"';
  return [
    {
      version: 1,
      description: 'source state and per-study sync state',
      sql: `
CREATE TABLE ${s}source_state (
  name ${C} PRIMARY KEY,
  kind text NOT NULL,
  mode text NOT NULL,
  endpoint text NOT NULL,
  endpoint_choice text,
  last_poll_at bigint,
  last_poll_ok_at bigint,
  last_reconcile_at bigint,
  last_window_from text,
  last_error text,
  polls integer NOT NULL DEFAULT 0,
  updated_at bigint NOT NULL
);
CREATE TABLE ${s}source_studies (
  source ${C} NOT NULL,
  study_uid ${C} NOT NULL,
  study_date text NOT NULL DEFAULT '',
  remote_instances integer,
  remote_series integer,
  synced_instances integer,
  synced_series integer,
  status text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  retry_at bigint,
  last_error text,
  fetched bigint NOT NULL DEFAULT 0,
  dicomweb_url text,
  first_seen_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  PRIMARY KEY (source, study_uid)
);
CREATE INDEX source_studies_status ON ${s}source_studies (source, status);
`,
    },
  ];
}

const SOURCE_COLUMNS = `name, kind, mode, endpoint, last_poll_at AS "lastPollAt", last_poll_ok_at AS "lastPollOkAt",
  last_reconcile_at AS "lastReconcileAt", last_window_from AS "lastWindowFrom", last_error AS "lastError", polls`;

export class PgSourceStateStore implements SourceStateStore {
  private constructor(
    private readonly c: PgStoreConnection,
    private readonly t: { state: string; studies: string },
  ) {}

  static async open(connection: string | pg.Pool, options: { schema?: string } = {}): Promise<PgSourceStateStore> {
    const c = await PgStoreConnection.open(connection, options.schema ?? 'sources', sourceStateMigrations);
    return new PgSourceStateStore(c, { state: `${c.schema}.source_state`, studies: `${c.schema}.source_studies` });
  }

  close(): Promise<void> {
    return this.c.close();
  }

  dropSchema(): Promise<void> {
    return this.c.dropSchema();
  }

  private q<R extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.c.pool.query<R>(sql, values);
  }

  async endpointChoiceChanged(name: string, choice: string): Promise<boolean> {
    // The previous value from the same statement: FROM a self-join on the locked row.
    const { rows } = await this.q<{ c: string | null }>(
      `UPDATE ${this.t.state} AS n SET endpoint_choice = $2 FROM ${this.t.state} AS o
       WHERE n.name = $1 AND o.name = n.name RETURNING o.endpoint_choice AS c`,
      [name, choice],
    );
    return (rows[0]?.c ?? 'ours') !== choice;
  }

  async studiesOf(name: string): Promise<string[]> {
    const { rows } = await this.q<{ uid: string }>(`SELECT study_uid AS uid FROM ${this.t.studies} WHERE source = $1`, [
      name,
    ]);
    return rows.map((r) => r.uid);
  }

  async register(s: { name: string; kind: string; mode: string; endpoint: string }, now: number): Promise<void> {
    await this.c.transaction(async (db) => {
      await db.query(
        `INSERT INTO ${this.t.state}(name, kind, mode, endpoint, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, mode = excluded.mode, endpoint = excluded.endpoint,
           updated_at = excluded.updated_at`,
        [s.name, s.kind, s.mode, s.endpoint, now],
      );
      await db.query(`UPDATE ${this.t.studies} SET status = 'queued' WHERE source = $1 AND status = 'fetching'`, [
        s.name,
      ]);
    });
  }

  async source(name: string): Promise<SourceRow | undefined> {
    const { rows } = await this.q<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM ${this.t.state} WHERE name = $1`, [name]);
    return rows[0];
  }

  async pollFinished(
    name: string,
    r: { at: number; windowFrom: string | undefined; reconcile: boolean; error?: string },
  ): Promise<void> {
    await this.q(
      `UPDATE ${this.t.state} SET last_poll_at = $2, polls = polls + 1, updated_at = $2,
         last_poll_ok_at = CASE WHEN $5::text IS NULL THEN $2 ELSE last_poll_ok_at END,
         last_window_from = CASE WHEN $5::text IS NULL THEN $3 ELSE last_window_from END,
         last_reconcile_at = CASE WHEN $5::text IS NULL AND $4 THEN $2 ELSE last_reconcile_at END,
         last_error = $5
       WHERE name = $1`,
      [name, r.at, r.windowFrom ?? '', r.reconcile, r.error ?? null],
    );
  }

  async study(source: string, studyUid: string): Promise<StudyState | undefined> {
    const { rows } = await this.q<StudyState>(
      `SELECT status, synced_instances AS "syncedInstances", synced_series AS "syncedSeries", attempts,
              retry_at AS "retryAt"
       FROM ${this.t.studies} WHERE source = $1 AND study_uid = $2`,
      [source, studyUid],
    );
    return rows[0];
  }

  async seen(source: string, studies: RemoteStudy[], now: number): Promise<void> {
    if (studies.length === 0) return;
    // One statement for the whole answer: arrays unnested into rows (one commit, one round trip).
    await this.q(
      `INSERT INTO ${this.t.studies}(source, study_uid, study_date, remote_instances, remote_series, status, first_seen_at, updated_at)
       SELECT $1, u, d, i, s, 'queued', $2, $2
       FROM unnest($3::text[], $4::text[], $5::integer[], $6::integer[]) AS x(u, d, i, s)
       ON CONFLICT (source, study_uid) DO UPDATE SET study_date = excluded.study_date,
         remote_instances = excluded.remote_instances, remote_series = excluded.remote_series`,
      [
        source,
        now,
        studies.map((s) => s.studyUid),
        studies.map((s) => s.studyDate),
        studies.map((s) => s.instances ?? null),
        studies.map((s) => s.series ?? null),
      ],
    );
  }

  async requeue(source: string, studyUid: string, studyDate: string | undefined, now: number): Promise<void> {
    await this.c.transaction(async (db) => {
      await db.query(
        `INSERT INTO ${this.t.studies}(source, study_uid, study_date, status, first_seen_at, updated_at)
           VALUES ($1, $2, $3, 'queued', $4, $4)
         ON CONFLICT (source, study_uid) DO UPDATE SET status = 'queued', attempts = 0, retry_at = NULL,
           synced_instances = NULL, synced_series = NULL, updated_at = excluded.updated_at`,
        [source, studyUid, studyDate ?? '', now],
      );
      await db.query(`UPDATE ${this.t.state} SET last_reconcile_at = NULL WHERE name = $1`, [source]);
    });
  }

  async fetching(source: string, studyUid: string, now: number): Promise<void> {
    await this.q(
      `UPDATE ${this.t.studies} SET status = 'fetching', updated_at = $3 WHERE source = $1 AND study_uid = $2`,
      [source, studyUid, now],
    );
  }

  async done(
    source: string,
    studyUid: string,
    r: { instances: number | null; series: number | null; fetched: number; dicomwebUrl?: string; now: number },
  ): Promise<void> {
    await this.q(
      `UPDATE ${this.t.studies} SET status = 'done', synced_instances = $3, synced_series = $4, attempts = 0,
         retry_at = NULL, last_error = NULL, fetched = fetched + $5, dicomweb_url = coalesce($6, dicomweb_url),
         updated_at = $7
       WHERE source = $1 AND study_uid = $2`,
      [source, studyUid, r.instances, r.series, r.fetched, r.dicomwebUrl ?? null, r.now],
    );
  }

  async failed(
    source: string,
    studyUid: string,
    r: { error: string; retryAt: number; fetched: number; now: number },
  ): Promise<void> {
    await this.q(
      `UPDATE ${this.t.studies} SET status = 'failed', attempts = attempts + 1, retry_at = $4, last_error = $3,
         fetched = fetched + $5, updated_at = $6
       WHERE source = $1 AND study_uid = $2`,
      [source, studyUid, r.error, r.retryAt, r.fetched, r.now],
    );
  }

  async status(): Promise<SourceStatus[]> {
    const sources = await this.q<SourceRow>(`SELECT ${SOURCE_COLUMNS} FROM ${this.t.state} ORDER BY name`, []);
    const counts = await this.q<{ source: string; status: StudyStatus; n: number; fetched: number }>(
      `SELECT source, status, count(*) AS n, coalesce(sum(fetched), 0)::bigint AS fetched
       FROM ${this.t.studies} GROUP BY source, status`,
      [],
    );
    const failures = await this.q<{ source: string; studyUid: string; error: string; attempts: number }>(
      `SELECT source, "studyUid", error, attempts FROM (
         SELECT source, study_uid AS "studyUid", last_error AS error, attempts,
                row_number() OVER (PARTITION BY source ORDER BY updated_at DESC) AS k
         FROM ${this.t.studies} WHERE status = 'failed') f
       WHERE k <= 20 ORDER BY source, k`,
      [],
    );
    return sources.rows.map((row) => {
      const studies: Record<StudyStatus, number> = { queued: 0, fetching: 0, done: 0, failed: 0 };
      let instancesFetched = 0;
      for (const c of counts.rows) {
        if (c.source !== row.name) continue;
        studies[c.status] = c.n;
        instancesFetched += c.fetched;
      }
      return {
        ...row,
        studies,
        instancesFetched,
        failures: failures.rows
          .filter((f) => f.source === row.name)
          .map(({ studyUid, error, attempts }) => ({ studyUid, error, attempts })),
      };
    });
  }
}
