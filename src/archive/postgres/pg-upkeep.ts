import type pg from 'pg';
import {
  type ArchiveUpkeep,
  BLOB_KEY_TABLES,
  type BlobReference,
  instanceKey,
  type KeyMove,
  type StudyFacts,
} from '../archive-upkeep.js';
import { PRIORITY, studyFactsOf } from '../study-facts.js';
import { inTransaction } from '../../core/postgres/held-client.js';
import { joined, outboxUpsertSql } from './pg-index-sql.js';

/**
 * ArchiveUpkeep on the PostgreSQL archive index (PgIndex's pool and schema). Several instances
 * share the database: the running marker is per instance (`instance`, as PgIndex's journal
 * mark), the rest is shared. Writes commit synchronously (durable when they resolve).
 */
export class PgUpkeep implements ArchiveUpkeep {
  private readonly t: string;
  private readonly runningKey: string;

  constructor(
    private readonly pool: pg.Pool,
    schema: string,
    options: { instance?: string } = {},
  ) {
    this.t = `${schema}.`;
    this.runningKey = instanceKey('running_since', options.instance);
  }

  async markRunning(now: number): Promise<number | undefined> {
    // The CTE's SELECT sees the row as it was before the upsert.
    const { rows } = await this.pool.query<{ value: string }>(
      `WITH prev AS (SELECT value FROM ${this.t}meta WHERE key = $1),
            up AS (INSERT INTO ${this.t}meta(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value)
       SELECT value FROM prev`,
      [this.runningKey, String(now)],
    );
    return rows[0] ? Number(rows[0].value) : undefined;
  }

  async markStopped(): Promise<void> {
    await this.pool.query(`DELETE FROM ${this.t}meta WHERE key = $1`, [this.runningKey]);
  }

  async blobReferences(prefix: string): Promise<BlobReference[]> {
    const { rows } = await this.pool.query<BlobReference>(
      BLOB_KEY_TABLES.map(
        (t) => `SELECT blob_key AS key, sop_uid AS sop FROM ${this.t}${t} WHERE starts_with(blob_key, $1)`,
      ).join(' UNION ALL '),
      [prefix],
    );
    return rows;
  }

  async repointBlobKeys(moves: KeyMove[]): Promise<KeyMove[]> {
    if (moves.length === 0) return [];
    const sops: string[] = [];
    const from: string[] = [];
    const to: string[] = [];
    for (const m of moves)
      for (const sop of m.sops) {
        sops.push(sop);
        from.push(m.from);
        to.push(m.to);
      }
    const changed = new Set<string>();
    await inTransaction(this.pool, async (client) => {
      for (const t of BLOB_KEY_TABLES) {
        const { rows } = await client.query<{ from: string }>(
          `UPDATE ${this.t}${t} AS r SET blob_key = m.to_key
           FROM unnest($1::text[], $2::text[], $3::text[]) AS m(sop, from_key, to_key)
           WHERE r.sop_uid = m.sop AND r.blob_key = m.from_key RETURNING m.from_key AS "from"`,
          [sops, from, to],
        );
        for (const r of rows) changed.add(r.from);
      }
    });
    return moves.filter((m) => !changed.has(m.from));
  }

  async studyFacts(studyUid: string): Promise<StudyFacts | undefined> {
    const t = this.t;
    const { rows } = await this.pool.query<{ received: number | null; metadata: string | null }>(
      `SELECT (SELECT min(i.created_at) FROM ${joined(t)} WHERE st.study_uid = $1) AS received,
              (SELECT i.metadata FROM ${joined(t)} WHERE st.study_uid = $1 AND strpos(i.metadata, $2) > 0 LIMIT 1) AS metadata`,
      [studyUid, `"${PRIORITY}"`],
    );
    const row = rows[0];
    if (!row || row.received === null) return undefined;
    return studyFactsOf(Number(row.received), row.metadata ?? undefined);
  }

  async studiesFacts(studyUids: string[]): Promise<Map<string, StudyFacts>> {
    const out = new Map<string, StudyFacts>();
    if (studyUids.length === 0) return out;
    const t = this.t;
    const of = `${t}instances i JOIN ${t}series s ON s.pk = i.series_pk WHERE s.study_pk = st.pk`;
    const { rows } = await this.pool.query<{ uid: string; received: number | null; metadata: string | null }>(
      `SELECT st.study_uid AS uid, (SELECT min(i.created_at) FROM ${of}) AS received,
              (SELECT i.metadata FROM ${of} AND strpos(i.metadata, $2) > 0 LIMIT 1) AS metadata
       FROM ${t}studies st WHERE st.study_uid = ANY($1::text[])`,
      [[...new Set(studyUids)], `"${PRIORITY}"`],
    );
    for (const row of rows)
      if (row.received !== null) out.set(row.uid, studyFactsOf(Number(row.received), row.metadata ?? undefined));
    return out;
  }

  async queueForSync(studyUids: string[], reason: string): Promise<void> {
    if (studyUids.length === 0) return;
    const now = Date.now();
    // In UID order: two concurrent resyncs lock the outbox rows in one order (no deadlock).
    await inTransaction(this.pool, async (client) => {
      for (const uid of [...new Set(studyUids)].sort()) await client.query(outboxUpsertSql(this.t), [uid, now, reason]);
    });
  }
}
