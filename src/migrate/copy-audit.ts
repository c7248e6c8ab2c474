import type Database from 'better-sqlite3';
import type pg from 'pg';
import { chainHash } from '../audit/chain-hash.js';
import type { ChainRow } from '../audit/chain-row.js';
import { auditKeyId } from '../audit/key-file.js';
import { MigrateError } from './errors.js';
import { hasTable } from './source.js';
import { inTransaction } from '../core/postgres/store-connection.js';

/**
 * Copies the audit chain record for record with its hashes (nothing is re-hashed: the copy is
 * the same chain, so `audit verify --database` checks it with the same key and the instance's
 * checkpoint still matches). Resumes after the target's head; each batch is checked to link to
 * it (prev_hash) and moves the head in the same transaction. The target's append-only triggers
 * refuse UPDATE/DELETE, not INSERT.
 */
export async function copyAudit(audit: Database.Database, pool: pg.Pool, batch: number): Promise<number> {
  if (!hasTable(audit, 'audit_record')) return 0;
  const read = audit.prepare(
    'SELECT seq, id, recorded, json, prev_hash, hash FROM audit_record WHERE seq > ? ORDER BY seq LIMIT ?',
  );
  let copied = 0;
  for (;;) {
    const n = await inTransaction(pool, async (db) => {
      const head = (await db.query<{ seq: number; hash: string }>('SELECT seq, hash FROM audit.head FOR UPDATE'))
        .rows[0]!;
      const rows = read.all(head.seq, batch) as ChainRow[];
      if (rows.length === 0) return 0;
      let prev = head;
      for (const r of rows) {
        if (r.seq !== prev.seq + 1 || r.prev_hash !== prev.hash)
          throw new MigrateError(
            `audit record ${r.seq} does not follow the target's chain head ${prev.seq}: the source chain has a gap or the target another chain (run 'audit verify' on the source)`,
          );
        prev = { seq: r.seq, hash: r.hash };
      }
      const col = <K extends keyof ChainRow>(k: K) => rows.map((r) => r[k]);
      await db.query(
        `INSERT INTO audit.record (seq, id, recorded, json, prev_hash, hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])`,
        [col('seq'), col('id'), col('recorded'), col('json'), col('prev_hash'), col('hash')],
      );
      await db.query('UPDATE audit.head SET seq = $1, hash = $2', [prev.seq, prev.hash]);
      return rows.length;
    });
    if (n === 0) break;
    copied += n;
  }
  return copied;
}

/** How far the FHIR copy of the chain got: the AuditEvents were copied with the FHIR store, so its watermark goes too. */
export async function copyProjection(audit: Database.Database, pool: pg.Pool): Promise<void> {
  if (!hasTable(audit, 'audit_projection')) return;
  for (const r of audit.prepare('SELECT target, upto FROM audit_projection').all() as {
    target: string;
    upto: number;
  }[])
    await pool.query(
      `INSERT INTO audit.projection (target, upto) VALUES ($1, $2)
       ON CONFLICT (target) DO UPDATE SET upto = GREATEST(audit.projection.upto, excluded.upto)`,
      [r.target, r.upto],
    );
}

/** Records which key the chain is hashed with (as the first PostgreSQL instance would); refuses a key that does not hash it. */
export async function claimAuditKey(pool: pg.Pool, key: Buffer): Promise<void> {
  const first = (
    await pool.query<{ json: string; prev_hash: string; hash: string }>(
      'SELECT json, prev_hash, hash FROM audit.record ORDER BY seq LIMIT 1',
    )
  ).rows[0];
  if (first && chainHash(key, first.prev_hash, first.json) !== first.hash)
    throw new MigrateError('the audit key given (--audit-key-file) is not the key the audit chain is hashed with');
  await pool.query('INSERT INTO audit.key_id (id) VALUES ($1) ON CONFLICT DO NOTHING', [auditKeyId(key)]);
}

/** Both chains' length and head. */
export async function compareAudit(
  audit: Database.Database,
  pool: pg.Pool,
): Promise<{ source: number; target: number; sourceHead: string; targetHead: string }> {
  const s = hasTable(audit, 'audit_record')
    ? (audit
        .prepare(
          'SELECT count(*) AS n, (SELECT hash FROM audit_record ORDER BY seq DESC LIMIT 1) AS h FROM audit_record',
        )
        .get() as {
        n: number;
        h: string | null;
      })
    : { n: 0, h: null };
  const t = (
    await pool.query<{ n: number; h: string | null }>(
      'SELECT count(*)::int AS n, (SELECT hash FROM audit.record ORDER BY seq DESC LIMIT 1) AS h FROM audit.record',
    )
  ).rows[0]!;
  return { source: s.n, target: t.n, sourceHead: s.h ?? '', targetHead: t.h ?? '' };
}
