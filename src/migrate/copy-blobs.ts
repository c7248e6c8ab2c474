import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { studyFolder } from '../archive/archive.js';
import { isPackKey } from '../archive/pack/pack-store.js';
import { isRemoteKey } from '../archive/remote.js';
import type { BlobStore } from '../archive/types.js';
import { inTransaction } from '../core/postgres/store-connection.js';
import { progressOf, setProgress } from './target.js';

const STUDY_OF_SOP = `(SELECT st.study_uid FROM instances i JOIN series se ON se.pk = i.series_pk
  JOIN studies st ON st.pk = se.study_pk WHERE i.sop_uid = t.sop_uid)`;

/**
 * The tables naming stored objects (current, replaced and rejected versions), each read in rowid
 * order (keyset pages: no sort of the whole archive), with a study and SOP for the new key.
 */
const SOURCES = [
  { table: 'instances', study: STUDY_OF_SOP },
  { table: 'instance_versions', study: `coalesce(${STUDY_OF_SOP}, 'replaced')` },
  { table: 'rejected_instances', study: 't.study_uid' },
];

/**
 * Copies each stored object into `target`, one object per transaction of the key map
 * (migrate.blob_map: source key → target key, SHA-256 and size of the bytes read) that also moves
 * the step's mark. The object is durable in the target (commit() returned) before its map row
 * commits, so a resumed run copies again at most the object it was killed on; its new key is
 * derived from its place and content (a file keeps its key; a pack entry gets
 * `<study folder>/<SOP>-m<sha8>.dcm`), so that copy overwrites the first in object storage
 * instead of leaving an orphan. A key already in the map (named twice) is not copied again.
 */
export async function copyBlobs(
  index: Database.Database,
  source: BlobStore,
  target: BlobStore,
  pool: pg.Pool,
): Promise<number> {
  let copied = 0;
  for (const from of SOURCES) {
    const step = `blobs:${from.table}`;
    if ((await progressOf(pool, step)).done) continue;
    const next = index.prepare(
      `SELECT t.rowid AS rowid, t.blob_key AS key, t.sop_uid AS sop, ${from.study} AS study
       FROM ${from.table} t WHERE t.rowid > ? ORDER BY t.rowid LIMIT 100`,
    );
    for (;;) {
      const rows = next.all((await progressOf(pool, step)).upto) as {
        rowid: number;
        key: string;
        sop: string;
        study: string;
      }[];
      if (rows.length === 0) break;
      for (const row of rows) {
        const known = await pool.query('SELECT 1 FROM migrate.blob_map WHERE source_key = $1', [row.key]);
        if (isRemoteKey(row.key) || known.rows.length > 0) {
          await setProgress(pool, step, { upto: row.rowid });
          continue;
        }
        const { key, sha256, size } = await copyObject(source, target, row);
        await inTransaction(pool, async (db) => {
          await db.query(
            `INSERT INTO migrate.blob_map (source_key, target_key, sha256, size) VALUES ($1, $2, $3, $4)
             ON CONFLICT (source_key) DO UPDATE SET target_key = excluded.target_key, sha256 = excluded.sha256, size = excluded.size`,
            [row.key, key, sha256, size],
          );
          await setProgress(db, step, { upto: row.rowid });
        });
        copied++;
      }
    }
    await setProgress(pool, step, { upto: (await progressOf(pool, step)).upto, done: true });
  }
  return copied;
}

/** Streams one object into the target (it may be larger than memory), hashing it on the way. */
async function copyObject(
  source: BlobStore,
  target: BlobStore,
  row: { key: string; sop: string; study: string },
): Promise<{ key: string; sha256: string; size: number }> {
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
  return { key: placed.key, sha256, size };
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
  for (const table of BLOB_KEY_TABLES) {
    let after = 0;
    for (;;) {
      const { rows } = await pool.query<{ pk: number; key: string; sha256: string | null; size: number | null }>(
        `SELECT t.pk, t.blob_key AS key, m.sha256, m.size FROM ${table} t
         LEFT JOIN migrate.blob_map m ON m.target_key = t.blob_key
         WHERE t.pk > $1 ORDER BY t.pk LIMIT 200`,
        [after],
      );
      if (rows.length === 0) break;
      after = rows.at(-1)!.pk;
      for (const r of rows) {
        if (isRemoteKey(r.key)) continue;
        checked++;
        const read = await digestOf(target, r.key).catch(() => undefined);
        if (!read || r.sha256 === null || read.size !== r.size || read.sha256 !== r.sha256) bad.push(r.key);
      }
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
