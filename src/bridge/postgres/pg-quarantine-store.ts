import type { Finding } from '../normalize/index.js';
import {
  entryOf,
  findingColumns,
  findingOf,
  type FindingFilter,
  type FindingRow,
  type QuarantineEntry,
  type QuarantineRecords,
  type QuarantineRow,
  type QuarantineState,
  type StoredFinding,
} from '../quarantine/quarantine-store.js';
import type { PgBridgeDb } from './pg-bridge-db.js';
import type { BatchKind } from './pg-write-batch.js';
import { outboxUpsertSql } from '../../archive/postgres/pg-index-sql.js';

const FINDING_COLUMNS = `sop_uid, rule, severity, tag, original, corrected, message, occurrences, source_ae, station, manufacturer`;
/** The 11 finding columns as parameter arrays from `$first` on (findingColumns' order). */
const findingArrays = (first: number): string =>
  ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'int', 'text', 'text', 'text']
    .map((type, i) => `$${first + i}::${type}[]`)
    .join(', ');

interface FindingsWrite {
  studyUid: string;
  findings: Finding[];
  now: number;
}

/**
 * Data-quality findings and the quarantine in the PostgreSQL archive schema (QuarantineRecords),
 * statement for statement the SQLite QuarantineStore: a decision and its outbox row commit together.
 */
export class PgQuarantineStore implements QuarantineRecords {
  /** recordFindings of several studies: their old findings deleted, the new ones inserted in the order given. */
  private readonly findingsBatch: BatchKind<FindingsWrite>;
  /** clearHold of several studies. */
  private readonly clearBatch: BatchKind<string>;

  constructor(private readonly db: PgBridgeDb) {
    const t = db.t;
    this.findingsBatch = {
      table: `${t}dq_findings`,
      run: async (query, writes) => {
        const rows = writes.flatMap((w) => w.findings.map((f) => [w.studyUid, w.now, findingColumns(f)] as const));
        const column = (i: number) => rows.map((r) => r[2][i]);
        // The DELETE (a data-modifying WITH runs once, on the snapshot before the INSERT's rows).
        await query(
          `WITH gone AS (DELETE FROM ${t}dq_findings WHERE study_uid = ANY($1::text[]))
           INSERT INTO ${t}dq_findings(study_uid, ${FINDING_COLUMNS}, recorded_at)
           SELECT u.s, u.a, u.b, u.c, u.d, u.e, u.f, u.g, u.h, u.i, u.j, u.k, u.r
           FROM unnest($2::text[], ${findingArrays(3)}, $14::bigint[])
             WITH ORDINALITY AS u(s, a, b, c, d, e, f, g, h, i, j, k, r, n)
           ORDER BY u.n`,
          [
            writes.map((w) => w.studyUid),
            rows.map((r) => r[0]),
            ...Array.from({ length: 11 }, (_, i) => column(i)),
            rows.map((r) => r[1]),
          ],
        );
      },
    };
    this.clearBatch = {
      table: `${t}quarantine`,
      run: async (query, uids) => {
        await query(`DELETE FROM ${t}quarantine WHERE study_uid = ANY($1::text[]) AND state = 'held'`, [uids]);
      },
    };
  }

  private get t(): string {
    return this.db.t;
  }

  async recordFindings(studyUid: string, findings: Finding[], now = Date.now()): Promise<void> {
    if (this.db.defer(this.findingsBatch, studyUid, { studyUid, findings, now })) return;
    await this.db.transaction(async () => {
      await this.db.query(`DELETE FROM ${this.t}dq_findings WHERE study_uid = $1`, [studyUid]);
      if (findings.length === 0) return;
      // One statement for all: a column per parameter array, rows in the order given (pk follows it).
      const cols = findings.map(findingColumns);
      const column = (i: number) => cols.map((c) => c[i]);
      await this.db.query(
        `INSERT INTO ${this.t}dq_findings(study_uid, sop_uid, rule, severity, tag, original, corrected, message, occurrences,
           source_ae, station, manufacturer, recorded_at)
         SELECT $1, u.a, u.b, u.c, u.d, u.e, u.f, u.g, u.h, u.i, u.j, u.k, $13
         FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
           $9::int[], $10::text[], $11::text[], $12::text[]) WITH ORDINALITY AS u(a, b, c, d, e, f, g, h, i, j, k, n)
         ORDER BY u.n`,
        [studyUid, ...Array.from({ length: 11 }, (_, i) => column(i)), now],
      );
    });
  }

  async findings(filter: FindingFilter = {}): Promise<StoredFinding[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.studyUid) {
      params.push(filter.studyUid);
      where.push(`study_uid = $${params.length}`);
    }
    if (filter.severity) {
      params.push(filter.severity);
      where.push(`severity = $${params.length}`);
    }
    params.push(filter.limit ?? 1000, filter.offset ?? 0);
    const rows = await this.db.rows<FindingRow>(
      `SELECT * FROM ${this.t}dq_findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY pk LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return rows.map(findingOf);
  }

  async hold(studyUid: string, reasons: Finding[], now = Date.now()): Promise<void> {
    await this.db.query(
      `INSERT INTO ${this.t}quarantine(study_uid, state, reasons, held_at) VALUES ($1, 'held', $2, $3)
       ON CONFLICT (study_uid) DO UPDATE SET state = 'held', reasons = excluded.reasons,
         held_at = CASE WHEN ${this.t}quarantine.state = 'held' THEN ${this.t}quarantine.held_at ELSE excluded.held_at END`,
      [studyUid, JSON.stringify(reasons), now],
    );
  }

  async clearHold(studyUid: string): Promise<void> {
    if (this.db.defer(this.clearBatch, studyUid, studyUid)) return;
    await this.db.query(`DELETE FROM ${this.t}quarantine WHERE study_uid = $1 AND state = 'held'`, [studyUid]);
  }

  async get(studyUid: string): Promise<QuarantineEntry | undefined> {
    const [row] = await this.db.rows<QuarantineRow>(`SELECT * FROM ${this.t}quarantine WHERE study_uid = $1`, [
      studyUid,
    ]);
    return row && entryOf(row);
  }

  async list(state?: QuarantineState): Promise<QuarantineEntry[]> {
    const rows = state
      ? await this.db.rows<QuarantineRow>(`SELECT * FROM ${this.t}quarantine WHERE state = $1 ORDER BY held_at`, [
          state,
        ])
      : await this.db.rows<QuarantineRow>(`SELECT * FROM ${this.t}quarantine ORDER BY held_at`);
    return rows.map(entryOf);
  }

  release(studyUid: string, actor: string, comment?: string, now = Date.now()): Promise<boolean> {
    return this.decide(studyUid, 'released', actor, comment, now);
  }

  reject(studyUid: string, actor: string, comment?: string, now = Date.now()): Promise<boolean> {
    return this.decide(studyUid, 'rejected', actor, comment, now);
  }

  private decide(
    studyUid: string,
    state: QuarantineState,
    actor: string,
    comment: string | undefined,
    now: number,
  ): Promise<boolean> {
    return this.db.transaction(async () => {
      const changed = await this.db.query(
        `UPDATE ${this.t}quarantine SET state = $1, decided_at = $2, decided_by = $3, comment = $4 WHERE study_uid = $5`,
        [state, now, actor, comment ?? null, studyUid],
      );
      if (!changed.rowCount) return false;
      await this.db.query(outboxUpsertSql(this.t), [studyUid, now, state]);
      return true;
    });
  }
}
