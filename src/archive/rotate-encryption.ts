/**
 * `imaging-bridge encryption rotate`: brings a stopped server's data directory under the
 * primary key — from older keys after a key rotation, or from plain (a directory created
 * without encryption). Every step can be run again after a crash:
 *
 * 1. every SQLite database is rekeyed (journal mode DELETE for the rekey, WAL again after);
 * 2. every object file not yet under the primary key is sealed again (temp file, fsync, rename);
 * 3. every pack object is read, appended sealed to a fresh segment, and its index rows point
 *    there (durably) before the next one; then the old segments, which hold only moved or
 *    erased records, are removed;
 * 4. oauth-keys.json is sealed again, and the marker (encryption.json) written last.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { ObjectCipher } from '../core/encryption/chunked-cipher.js';
import { writeMarker } from '../core/encryption/at-rest.js';
import type { Keyring } from '../core/encryption/keys.js';
import { openSqlite, rekey } from '../core/sqlite-open.js';
import { readExactSync } from './read-exact.js';
import { PackStore, isPackKey, packSegmentFile, packSegmentIds } from './pack/pack-store.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';

export interface RotationReport {
  databases: string[];
  files: number;
  filesAlreadyUnderPrimary: number;
  packObjects: number;
  segmentsRemoved: number;
}

/**
 * `keyring`: primary first, then every key the directory may still be under. `fromPlain`: the
 * directory was created without encryption, so plain databases and objects are expected; in an
 * encrypted directory a plain file is refused (someone put it there: it is not taken in).
 */
export async function rotateDataDir(
  dataDir: string,
  keyring: Keyring,
  fromPlain: boolean,
  log: (line: string) => void = () => undefined,
): Promise<RotationReport> {
  const cipher = new ObjectCipher(keyring);
  const primary = keyring.primary.id.toString('hex');
  const report: RotationReport = {
    databases: [],
    files: 0,
    filesAlreadyUnderPrimary: 0,
    packObjects: 0,
    segmentsRemoved: 0,
  };
  const keys = keyring.all().map((k) => k.bytes);
  for (const name of readdirSync(dataDir).filter((n) => n.endsWith('.sqlite'))) {
    const db = fromPlain ? openUnderAnyKey(join(dataDir, name), keys) : openSqlite(join(dataDir, name), keys);
    try {
      db.pragma('journal_mode = DELETE');
      rekey(db, keyring.primary.bytes);
      db.pragma('journal_mode = WAL');
    } finally {
      db.close();
    }
    report.databases.push(name);
    log(`rekeyed ${name}`);
  }
  /** Plaintext of stored bytes: sealed under any of the keys, or plain. */
  const plainOf = (raw: Buffer) =>
    fromPlain && ObjectCipher.keyIdOfHeader(raw) === undefined ? raw : cipher.open(raw);
  const underPrimary = (raw: Buffer) => ObjectCipher.keyIdOfHeader(raw) === primary;

  const blobDir = join(dataDir, 'blobs');
  const tmpDir = join(dataDir, 'tmp');
  if (existsSync(blobDir)) {
    for (const entry of readdirSync(blobDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const raw = readFileSync(path);
      if (underPrimary(raw)) {
        report.filesAlreadyUnderPrimary++;
        continue;
      }
      const temp = join(tmpDir, `${process.pid}-rotate-${report.files}.part`);
      writeDurably(temp, cipher.seal(plainOf(raw)));
      renameSync(temp, path);
      syncDir(entry.parentPath);
      report.files++;
    }
    log(`sealed ${report.files} object files again (${report.filesAlreadyUnderPrimary} already under the primary key)`);
  }

  const packDir = join(dataDir, 'packs');
  if (existsSync(packDir)) {
    const old = packSegmentIds(packDir);
    const index = new SqliteIndex(join(dataDir, 'index.sqlite'), [keyring.primary.bytes]);
    // A writer always appends to a fresh segment of its own (segment-claims.ts).
    const packs = new PackStore(dataDir, true, undefined, cipher);
    const fresh = packs.currentSegment;
    try {
      report.packObjects = await movePackObjects(index.db, packDir, old, packs, plainOf);
      index.checkpointSync(packs.lowWater());
    } finally {
      packs.close();
      void index.close();
    }
    for (const id of old) rmSync(packSegmentFile(packDir, id));
    syncDir(packDir);
    report.segmentsRemoved = old.length;
    log(`moved ${report.packObjects} pack objects into segment ${fresh}, removed ${old.length} old segments`);
  }

  const oauthKeys = join(dataDir, 'oauth-keys.json');
  if (existsSync(oauthKeys)) {
    const raw = readFileSync(oauthKeys);
    if (!underPrimary(raw)) {
      const temp = join(dataDir, `oauth-keys.json.${process.pid}.part`);
      writeDurably(temp, cipher.seal(plainOf(raw)));
      renameSync(temp, oauthKeys);
    }
  }
  writeMarker(dataDir, cipher);
  syncDir(dataDir);
  return report;
}

/** Moves every indexed object of the `old` segments into `packs` (sealed), one durable index update each. */
async function movePackObjects(
  db: Database.Database,
  packDir: string,
  old: number[],
  packs: PackStore,
  plainOf: (raw: Buffer) => Buffer,
): Promise<number> {
  const rows = db
    .prepare(
      `SELECT blob_key AS key, sop_uid AS sop, source FROM instances UNION ALL SELECT blob_key, sop_uid, source FROM instance_versions
       UNION ALL SELECT blob_key, sop_uid, source FROM rejected_instances`,
    )
    .all() as { key: string; sop: string; source: string }[];
  const repoint = db.transaction((from: string, to: string) => {
    for (const table of ['instances', 'instance_versions', 'rejected_instances'])
      db.prepare(`UPDATE ${table} SET blob_key = ? WHERE blob_key = ?`).run(to, from);
  });
  const fds = new Map<number, number>();
  const oldSet = new Set(old);
  let moved = 0;
  try {
    const done = new Set<string>();
    for (const r of rows) {
      if (!isPackKey(r.key) || done.has(r.key)) continue;
      const [, segment, offset, size] = r.key.split('/').map(Number) as [number, number, number, number];
      if (!oldSet.has(segment)) continue;
      let fd = fds.get(segment);
      if (fd === undefined) fds.set(segment, (fd = openSync(packSegmentFile(packDir, segment), 'r')));
      const key = await packs.append(plainOf(readExactSync(fd, offset, size)), { sop: r.sop, source: r.source });
      repoint(r.key, key);
      packs.settle(key);
      done.add(r.key);
      moved++;
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return moved;
}

function openUnderAnyKey(path: string, keys: Buffer[]): Database.Database {
  try {
    return openSqlite(path, keys);
  } catch (e) {
    // Not under any of the keys: a plain database (a directory created without encryption).
    const db = openSqlite(path, undefined);
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
      return db;
    } catch {
      db.close();
      throw e;
    }
  }
}

function writeDurably(path: string, bytes: Buffer): void {
  writeFileSync(path, bytes, { mode: 0o600 });
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
