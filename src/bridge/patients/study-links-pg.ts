import type pg from 'pg';
import type { Migration } from '../../core/postgres/migrations.js';
import { PgStoreConnection } from '../../core/postgres/store-connection.js';
import type { BatchKind } from '../postgres/pg-write-batch.js';
import type { StudyLinkStore } from './study-links.js';

const LINK_UPSERT = `ON CONFLICT (study_uid) DO UPDATE SET patient_pk = excluded.patient_pk, fhir_patient = excluded.fhir_patient,
         linked_at = excluded.linked_at`;

/**
 * The study → Patient links in PostgreSQL, for an archive index there (PgIndex). Their own schema
 * (default `study_links`, its own versioned migrations) so that the archive schema's migration list
 * stays the index's and the bridge stores'; they join the index's `studies` in `archiveSchema`, as
 * the SQLite links do (a link counts only while the study is filed under the same patient row).
 * Unlike the SQLite migration, nothing is queued at creation: an archive on PostgreSQL is new, or
 * copied by `migrate` with its links.
 */
export function studyLinkMigrations(schema: string): Migration[] {
  return [
    {
      version: 1,
      description: 'study → Patient links, as the bridge decided them',
      sql: `
CREATE TABLE ${schema}.study_patient_links (
  study_uid text COLLATE "C" PRIMARY KEY,
  patient_pk bigint NOT NULL,
  fhir_patient text COLLATE "C" NOT NULL,
  linked_at bigint NOT NULL
);
CREATE INDEX study_patient_links_patient ON ${schema}.study_patient_links (fhir_patient);
`,
    },
  ];
}

/**
 * Where the links' queries run: a way in that joins the transaction its caller is in (the
 * bridge's PgBridgeDb: the sync pass's journal), else the pool.
 */
export interface PgQueryRoute {
  query<R extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  /** Keeps the write for one statement of its kind when the caller's transaction batches them (PgBridgeDb.defer). */
  defer?<T>(kind: BatchKind<T>, key: string, item: T): boolean;
}

interface LinkWrite {
  studyUid: string;
  patientPk: number;
  fhirPatient: string;
  now: number;
}

export class PgStudyLinks implements StudyLinkStore {
  private readonly current: string;
  private readonly db: PgQueryRoute;
  /** record() / forget() of several studies (the sync pass's journal: pg-write-batch.ts). */
  private readonly recordBatch: BatchKind<LinkWrite>;
  private readonly forgetBatch: BatchKind<string>;

  private constructor(
    private readonly conn: PgStoreConnection,
    private readonly archive: string,
    route: PgQueryRoute | undefined,
  ) {
    this.db = route ?? { query: (sql, params) => conn.pool.query(sql, params) };
    this.current = `FROM ${conn.schema}.study_patient_links l
      JOIN ${archive}.studies s ON s.study_uid = l.study_uid AND s.patient_pk = l.patient_pk`;
    const table = `${conn.schema}.study_patient_links`;
    this.recordBatch = {
      table,
      run: async (query, links) => {
        await query(
          `INSERT INTO ${table}(study_uid, patient_pk, fhir_patient, linked_at)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
           ${LINK_UPSERT}`,
          [
            links.map((l) => l.studyUid),
            links.map((l) => l.patientPk),
            links.map((l) => l.fhirPatient),
            links.map((l) => l.now),
          ],
        );
      },
    };
    this.forgetBatch = {
      table,
      run: async (query, uids) => {
        await query(`DELETE FROM ${table} WHERE study_uid = ANY($1::text[])`, [uids]);
      },
    };
  }

  /**
   * Connects (a URL: its own pool; a pool: shared, left open) and migrates `schema`; the index is
   * in `archiveSchema`. `route`: the bridge stores' PgBridgeDb on the same database, so that the
   * sync's link writes commit in its pass's journal transaction with the outbox completion and
   * the findings (as on SQLite), not each on its own beside it.
   */
  static async open(
    connection: string | pg.Pool,
    options: { schema?: string; archiveSchema?: string; route?: PgQueryRoute } = {},
  ): Promise<PgStudyLinks> {
    const conn = await PgStoreConnection.open(connection, options.schema ?? 'study_links', studyLinkMigrations);
    return new PgStudyLinks(conn, options.archiveSchema ?? 'archive', options.route);
  }

  async patientRowOf(studyUid: string): Promise<number | undefined> {
    const { rows } = await this.db.query<{ pk: number }>(
      `SELECT patient_pk AS pk FROM ${this.archive}.studies WHERE study_uid = $1`,
      [studyUid],
    );
    return rows[0]?.pk;
  }

  async record(studyUid: string, patientPk: number, fhirPatient: string, now = Date.now()): Promise<void> {
    if (this.db.defer?.(this.recordBatch, studyUid, { studyUid, patientPk, fhirPatient, now })) return;
    await this.db.query(
      `INSERT INTO ${this.conn.schema}.study_patient_links(study_uid, patient_pk, fhir_patient, linked_at) VALUES ($1, $2, $3, $4)
       ${LINK_UPSERT}`,
      [studyUid, patientPk, fhirPatient, now],
    );
  }

  async forget(studyUid: string): Promise<void> {
    if (this.db.defer?.(this.forgetBatch, studyUid, studyUid)) return;
    await this.db.query(`DELETE FROM ${this.conn.schema}.study_patient_links WHERE study_uid = $1`, [studyUid]);
  }

  async studiesOf(fhirPatient: string): Promise<string[]> {
    const { rows } = await this.db.query<{ uid: string }>(
      `SELECT l.study_uid AS uid ${this.current} WHERE l.fhir_patient = $1 ORDER BY l.study_uid`,
      [fhirPatient],
    );
    return rows.map((r) => r.uid);
  }

  async ownerOf(studyUid: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ patient: string }>(
      `SELECT l.fhir_patient AS patient ${this.current} WHERE l.study_uid = $1`,
      [studyUid],
    );
    return rows[0]?.patient;
  }

  close(): Promise<void> {
    return this.conn.close();
  }

  /** Tests: removes the schema and everything in it. */
  dropSchema(): Promise<void> {
    return this.conn.dropSchema();
  }
}
