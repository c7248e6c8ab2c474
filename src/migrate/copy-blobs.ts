import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { studyFolder } from '../archive/archive.js';
import { isPackKey } from '../archive/pack/pack-store.js';
import { isRemoteKey } from '../archive/remote.js';
import type { BlobStore } from '../archive/types.js';
import { inTransaction, progressOf, setProgress } from './target.js';

const STEP = 'blobs';

/** Every stored object the index names (current, replaced and rejected versions), with a study and SOP for its new key. */
const OBJECTS = `
SELECT key, min(sop) AS sop, min(study) AS study FROM (
  SELECT i.blob_key AS key, i.sop_uid AS sop, st.study_uid AS study
    FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk
  UNION ALL SELECT v.blob_key, v.sop_uid, coalesce(
    (SELECT st.study_uid FROM instances i JOIN series se ON se.pk = i.series_pk JOIN studies st ON st.pk = se.study_pk
      WHERE i.sop_uid = v.sop_uid), 'replaced') FROM instance_versions v
  UNION ALL SELECT blob_key, sop_uid, study_uid FROM rejected_instances
) WHERE key > ? GROUP BY key ORDER BY key LIMIT ?`;

/**
 * Copies each stored object into `target`, in key order, one object per transaction of the
 * key map (migrate.blob_map: source key → target key, SHA-256 and size of the bytes read). The
 * object is durable in the target (commit() returned) before its map row commits, so a resumed
 * run copies again at most the object it was killed on; its new key is derived from its place
 * and content (a file keeps its key; a pack entry gets `<study folder>/<SOP>-m<sha8>.dcm`), so
 * that copy overwrites the first in object storage instead of leaving an orphan.
 */
export async function copyBlobs(
  index: Database.Database,
  source: BlobStore,
  target: BlobStore,
  pool: pg.Pool,
  onObject: () => void = () => undefined,
): Promise<number> {
  if ((await progressOf(pool, STEP)).done) return 0;
  const next = index.prepare(OBJECTS);
  let copied = 0;
  for (;;) {
    const { lastKey } = await progressOf(pool, STEP);
    const rows = next.all(lastKey ?? '', 100) as { key: string; sop: string; study: string }[];
    if (rows.length === 0) break;
    for (const row of rows) {
      if (isRemoteKey(row.key)) {
        await setProgress(pool, STEP, { lastKey: row.key });
        continue;
      }
      // Streamed: an object may be larger than memory; the hash is taken on the way.
      const writer = await target.create();
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of source.stream(row.key) as AsyncIterable<Buffer>) {
          hash.update(chunk);
          size += chunk.length;
          await writer.writev([chunk]);
        }
      } catch (e) {
        await writer.abort();
        throw e;
      }
      const sha256 = hash.digest('hex');
      const key = isPackKey(row.key) ? `${studyFolder(row.study)}/${row.sop}-m${sha256.slice(0, 8)}.dcm` : row.key;
      const placed = await (await writer.seal()).commit({ key, sopUid: row.sop, source: 'migrate' });
      if (placed.journaled) target.journal?.settle(placed.key);
      await inTransaction(pool, async (db) => {
        await db.query(
          `INSERT INTO migrate.blob_map (source_key, target_key, sha256, size) VALUES ($1, $2, $3, $4)
           ON CONFLICT (source_key) DO UPDATE SET target_key = excluded.target_key, sha256 = excluded.sha256, size = excluded.size`,
          [row.key, placed.key, sha256, size],
        );
        await setProgress(db, STEP, { lastKey: row.key });
      });
      copied++;
      onObject();
    }
  }
  await setProgress(pool, STEP, { lastKey: (await progressOf(pool, STEP)).lastKey, done: true });
  return copied;
}

/** The archive's tables that name objects: their keys become the target's once the bytes moved. */
export const BLOB_KEY_TABLES = ['archive.instances', 'archive.instance_versions', 'archive.rejected_instances'];

/** Rewrites the copied index rows' blob keys to where the objects went (one statement per table; idempotent). */
export async function rewriteBlobKeys(pool: pg.Pool): Promise<void> {
  if ((await progressOf(pool, 'blob-keys')).done) return;
  await inTransaction(pool, async (db) => {
    for (const table of BLOB_KEY_TABLES)
      await db.query(
        `UPDATE ${table} t SET blob_key = m.target_key FROM migrate.blob_map m
         WHERE t.blob_key = m.source_key AND m.target_key <> m.source_key`,
      );
    await setProgress(db, 'blob-keys', { done: true });
  });
}

/** Reads every object the target index names back from the target store and checks its SHA-256 and size. */
export async function verifyBlobs(pool: pg.Pool, target: BlobStore): Promise<{ checked: number; bad: string[] }> {
  const bad: string[] = [];
  let checked = 0;
  let after = '';
  for (;;) {
    const { rows } = await pool.query<{ key: string; sha256: string | null; size: number | null }>(
      `SELECT k.key, m.sha256, m.size FROM (
         SELECT blob_key AS key FROM archive.instances UNION SELECT blob_key FROM archive.instance_versions
         UNION SELECT blob_key FROM archive.rejected_instances) k
       LEFT JOIN migrate.blob_map m ON m.target_key = k.key
       WHERE k.key > $1 ORDER BY k.key LIMIT 200`,
      [after],
    );
    if (rows.length === 0) break;
    for (const r of rows) {
      after = r.key;
      if (isRemoteKey(r.key)) continue;
      checked++;
      const read = await digestOf(target, r.key).catch(() => undefined);
      if (!read || r.sha256 === null || read.size !== r.size || read.sha256 !== r.sha256) bad.push(r.key);
    }
  }
  return { checked, bad };
}

async function digestOf(store: BlobStore, key: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of store.stream(key) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}
