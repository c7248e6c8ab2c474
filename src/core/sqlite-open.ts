import Database from 'better-sqlite3';

/**
 * The keys a database may be encrypted with (raw 256-bit keys, the primary one first: after
 * a key rotation a database may still be under an older key until `encryption rotate` rekeys
 * it). Undefined: the database is plain. Plain data to pass to worker threads.
 */
export type SqliteKeys = readonly Uint8Array[] | undefined;

/**
 * Every SQLite connection of the project is opened here (server, CLI, worker threads,
 * read-only readers). With keys, the connection uses SQLCipher's format (AES-256-CBC pages,
 * HMAC-SHA512 per page; the driver is SQLite3 Multiple Ciphers) keyed with a raw key, so no
 * password derivation runs at open. `PRAGMA key` must come before anything reads the file.
 */
export function openSqlite(path: string, keys: SqliteKeys, options?: Database.Options): Database.Database {
  if (!keys || keys.length === 0 || path === ':memory:') return new Database(path, options);
  // The key is bound at the first read: each candidate gets a fresh connection.
  for (const key of keys) {
    const db = new Database(path, options);
    try {
      applyKey(db, key);
      if (readable(db)) return db;
    } catch (e) {
      db.close();
      throw e;
    }
    db.close();
  }
  throw new Error(
    `${path}: none of the configured encryption keys opens this database (wrong key, or a database created without encryption)`,
  );
}

/** `PRAGMA cipher='sqlcipher'` + raw `PRAGMA key` on a connection that has not read the file yet. */
export function applyKey(db: Database.Database, key: Uint8Array): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma(`key = "x'${Buffer.from(key).toString('hex')}'"`);
}

/** A new key for an open database (its journal mode must not be WAL while this runs). */
export function rekey(db: Database.Database, key: Uint8Array | undefined): void {
  db.pragma(`cipher = 'sqlcipher'`);
  db.pragma(key ? `rekey = "x'${Buffer.from(key).toString('hex')}'"` : `rekey = ''`);
}

function readable(db: Database.Database): boolean {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return true;
  } catch (e) {
    if ((e as { code?: string }).code === 'SQLITE_NOTADB') return false;
    throw e;
  }
}
