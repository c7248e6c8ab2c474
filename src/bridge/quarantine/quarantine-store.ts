/**
 * Data-quality findings and the quarantine, in the archive's database. Findings are the
 * current ones of each study (replaced at every sync of it); a held study stays listed with
 * its reasons until a person releases (sync with errors overridden) or rejects it.
 */
import type { Database } from 'better-sqlite3';
import { preparedOnce } from '../../core/sqlite-statements.js';
import { OUTBOX_UPSERT } from '../../archive/sqlite/schema.js';
import type { Awaitable } from '../sync/awaitable.js';
import type { Finding, Severity } from '../normalize/index.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dq_findings (
  pk INTEGER PRIMARY KEY,
  study_uid TEXT NOT NULL,
  sop_uid TEXT,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  tag TEXT NOT NULL,
  original TEXT,            -- JSON
  corrected TEXT,           -- JSON
  message TEXT NOT NULL,
  occurrences INTEGER NOT NULL DEFAULT 1,
  source_ae TEXT,
  station TEXT,
  manufacturer TEXT,
  recorded_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dq_findings_study ON dq_findings(study_uid);
CREATE INDEX IF NOT EXISTS dq_findings_severity ON dq_findings(severity, study_uid);
CREATE TABLE IF NOT EXISTS quarantine (
  study_uid TEXT PRIMARY KEY,
  state TEXT NOT NULL,      -- held | released | rejected
  reasons TEXT NOT NULL,    -- JSON: the error findings that hold it
  held_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by TEXT,
  comment TEXT
);
`;

export type QuarantineState = 'held' | 'released' | 'rejected';

export interface StoredFinding extends Finding {
  studyUid: string;
  recordedAt: number;
}

export interface QuarantineEntry {
  studyUid: string;
  state: QuarantineState;
  reasons: Finding[];
  heldAt: number;
  decidedAt?: number;
  decidedBy?: string;
  comment?: string;
}

export interface FindingFilter {
  studyUid?: string;
  severity?: Severity;
  limit?: number;
  offset?: number;
}

export interface FindingRow {
  study_uid: string;
  sop_uid: string | null;
  rule: string;
  severity: Severity;
  tag: string;
  original: string | null;
  corrected: string | null;
  message: string;
  occurrences: number;
  source_ae: string | null;
  station: string | null;
  manufacturer: string | null;
  recorded_at: number;
}

export interface QuarantineRow {
  study_uid: string;
  state: QuarantineState;
  reasons: string;
  held_at: number;
  decided_at: number | null;
  decided_by: string | null;
  comment: string | null;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const parse = (v: string | null): unknown => (v === null ? undefined : JSON.parse(v));

/**
 * Data-quality findings per study and the quarantine of studies held back from FHIR.
 * Implemented by QuarantineStore (SQLite, the index's file, synchronous) and
 * PgQuarantineStore (PostgreSQL, promises). Shared suite: quarantine-suite.ts.
 */
export interface QuarantineRecords {
  /** Replaces the study's findings (the result of its latest normalization and mapping). */
  recordFindings(studyUid: string, findings: Finding[], now?: number): Awaitable<void>;
  findings(filter?: FindingFilter): Awaitable<StoredFinding[]>;
  /** Holds the study (again): a released one stays released. */
  hold(studyUid: string, reasons: Finding[], now?: number): Awaitable<void>;
  /** The study synced: it is no longer held (a release decision is kept as the record). */
  clearHold(studyUid: string): Awaitable<void>;
  get(studyUid: string): Awaitable<QuarantineEntry | undefined>;
  list(state?: QuarantineState): Awaitable<QuarantineEntry[]>;
  /** Sync the study now with its error findings overridden; queued in the outbox in the same transaction. */
  release(studyUid: string, actor: string, comment?: string, now?: number): Awaitable<boolean>;
  /** The study never goes to FHIR; queued so a copy sent before is marked entered-in-error. */
  reject(studyUid: string, actor: string, comment?: string, now?: number): Awaitable<boolean>;
}

export class QuarantineStore implements QuarantineRecords {
  constructor(private readonly db: Database) {
    db.exec(SCHEMA);
  }

  /** Replaces the study's findings with `findings` (the result of its latest normalization and mapping). */
  recordFindings(studyUid: string, findings: Finding[], now = Date.now()): void {
    const insert = preparedOnce(
      this.db,
      `INSERT INTO dq_findings(study_uid, sop_uid, rule, severity, tag, original, corrected, message, occurrences, source_ae, station, manufacturer, recorded_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.db.transaction(() => {
      preparedOnce(this.db, 'DELETE FROM dq_findings WHERE study_uid = ?').run(studyUid);
      for (const f of findings) {
        insert.run(studyUid, ...findingColumns(f), now);
      }
    })();
  }

  findings(filter: FindingFilter = {}): StoredFinding[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.studyUid) {
      where.push('study_uid = ?');
      params.push(filter.studyUid);
    }
    if (filter.severity) {
      where.push('severity = ?');
      params.push(filter.severity);
    }
    const sql = `SELECT * FROM dq_findings ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY pk LIMIT ? OFFSET ?`;
    const rows = this.db.prepare(sql).all(...params, filter.limit ?? 1000, filter.offset ?? 0) as FindingRow[];
    return rows.map(findingOf);
  }

  /** Holds the study (again): a released one stays released unless `force` (a hold no override can lift). */
  hold(studyUid: string, reasons: Finding[], now = Date.now()): void {
    this.db
      .prepare(
        `INSERT INTO quarantine(study_uid, state, reasons, held_at) VALUES (?, 'held', ?, ?)
         ON CONFLICT(study_uid) DO UPDATE SET state = 'held', reasons = excluded.reasons,
           held_at = CASE WHEN state = 'held' THEN held_at ELSE excluded.held_at END`,
      )
      .run(studyUid, JSON.stringify(reasons), now);
  }

  /** The study synced: it is no longer held (a release decision is kept as the record). */
  clearHold(studyUid: string): void {
    preparedOnce(this.db, `DELETE FROM quarantine WHERE study_uid = ? AND state = 'held'`).run(studyUid);
  }

  get(studyUid: string): QuarantineEntry | undefined {
    const row = preparedOnce(this.db, 'SELECT * FROM quarantine WHERE study_uid = ?').get(studyUid) as
      | QuarantineRow
      | undefined;
    return row && entryOf(row);
  }

  list(state?: QuarantineState): QuarantineEntry[] {
    const rows = (
      state
        ? this.db.prepare('SELECT * FROM quarantine WHERE state = ? ORDER BY held_at').all(state)
        : this.db.prepare('SELECT * FROM quarantine ORDER BY held_at').all()
    ) as QuarantineRow[];
    return rows.map(entryOf);
  }

  /** Sync the study now with its error findings overridden; queued in the outbox (durable). */
  release(studyUid: string, actor: string, comment?: string, now = Date.now()): boolean {
    return this.decide(studyUid, 'released', actor, comment, now);
  }

  /** The study never goes to FHIR (and is marked entered-in-error there if it went before). */
  reject(studyUid: string, actor: string, comment?: string, now = Date.now()): boolean {
    return this.decide(studyUid, 'rejected', actor, comment, now);
  }

  private decide(
    studyUid: string,
    state: QuarantineState,
    actor: string,
    comment: string | undefined,
    now: number,
  ): boolean {
    return this.db.transaction(() => {
      const changed = this.db
        .prepare('UPDATE quarantine SET state = ?, decided_at = ?, decided_by = ?, comment = ? WHERE study_uid = ?')
        .run(state, now, actor, comment ?? null, studyUid).changes;
      if (changed) this.db.prepare(OUTBOX_UPSERT).run({ studyUid, now, reason: state });
      return changed > 0;
    })();
  }
}

/**
 * A finding's values for the dq_findings columns between study_uid and recorded_at, in their order
 * (sop_uid, rule, severity, tag, original, corrected, message, occurrences, source_ae, station,
 * manufacturer): what both stores insert and findingOf() reads back.
 */
export function findingColumns(f: Finding): unknown[] {
  return [
    f.sopInstanceUid ?? null,
    f.rule,
    f.severity,
    f.tag,
    json(f.original),
    json(f.corrected),
    f.message,
    f.occurrences ?? 1,
    f.source?.aeTitle ?? null,
    f.source?.station ?? null,
    f.source?.manufacturer ?? null,
  ];
}

export function findingOf(r: FindingRow): StoredFinding {
  const f: StoredFinding = {
    studyUid: r.study_uid,
    rule: r.rule,
    severity: r.severity,
    tag: r.tag,
    original: parse(r.original),
    message: r.message,
    recordedAt: r.recorded_at,
  };
  if (r.corrected !== null) f.corrected = parse(r.corrected);
  if (r.sop_uid) f.sopInstanceUid = r.sop_uid;
  if (r.occurrences > 1) f.occurrences = r.occurrences;
  const source = {
    aeTitle: r.source_ae ?? undefined,
    station: r.station ?? undefined,
    manufacturer: r.manufacturer ?? undefined,
  };
  if (r.source_ae || r.station || r.manufacturer) f.source = JSON.parse(JSON.stringify(source)) as Finding['source'];
  return f;
}

export function entryOf(r: QuarantineRow): QuarantineEntry {
  const e: QuarantineEntry = {
    studyUid: r.study_uid,
    state: r.state,
    reasons: JSON.parse(r.reasons) as Finding[],
    heldAt: r.held_at,
  };
  if (r.decided_at !== null) e.decidedAt = r.decided_at;
  if (r.decided_by !== null) e.decidedBy = r.decided_by;
  if (r.comment !== null) e.comment = r.comment;
  return e;
}
