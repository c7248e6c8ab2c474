import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MARKER_FILE } from '../core/encryption/at-rest.js';
import { MigrateError } from './errors.js';

/** The embedded installation's SQLite files, each held under an exclusive lock for the whole migration. */
export interface SourceFiles {
  dir: string;
  index: Database.Database;
  fhir: Database.Database | undefined;
  audit: Database.Database | undefined;
  security: Database.Database | undefined;
  close(): void;
}

/**
 * Opens the data directory for reading. Each database is opened in SQLite's EXCLUSIVE locking
 * mode and a read transaction is started: that succeeds only when no other process has the file
 * open — a running server always has — so a running source is refused, and a server started
 * during the migration cannot open the files. Nothing is written; the read transaction gives one
 * consistent snapshot per file. A WAL left by a crash is read (and, as SQLite does when the last
 * connection closes, folded into the file on close: the content is unchanged).
 */
export function openSource(dataDir: string): SourceFiles {
  const dir = resolve(dataDir);
  if (!existsSync(join(dir, 'index.sqlite')))
    throw new MigrateError(`--from ${dataDir}: no ImagingBridge data directory there (index.sqlite is missing)`);
  if (existsSync(join(dir, MARKER_FILE)))
    throw new MigrateError(
      `--from ${dataDir}: the data directory is encrypted at rest; migrate copies plain data directories only (see docs/migrate.md)`,
    );
  const opened: Database.Database[] = [];
  const open = (name: string, required: boolean) => {
    const file = join(dir, name);
    if (!existsSync(file)) {
      if (required) throw new MigrateError(`--from ${dataDir}: ${name} is missing`);
      return undefined;
    }
    const db = new Database(file, { fileMustExist: true, timeout: 0 });
    opened.push(db);
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN');
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (e) {
      if ((e as { code?: string }).code?.startsWith('SQLITE_BUSY'))
        throw new MigrateError(
          `--from ${dataDir}: ${name} is in use by another process (a running server or CLI command): stop it, then run migrate again`,
        );
      throw e;
    }
    return db;
  };
  const close = () => {
    for (const db of opened) if (db.open) db.close();
  };
  try {
    const index = open('index.sqlite', true)!;
    // Set at start, removed at a clean stop (orphan-sweep.ts): objects acknowledged from the pack
    // journal but not yet in the index are re-indexed only by the server's next start.
    if (hasTable(index, 'meta') && index.prepare(`SELECT 1 FROM meta WHERE key = 'running_since'`).get())
      throw new MigrateError(
        `--from ${dataDir}: the server did not stop cleanly; start it once (it re-indexes what its journal holds), stop it, then run migrate`,
      );
    return {
      dir,
      index,
      fhir: open('fhir.sqlite', false),
      audit: open('audit.sqlite', false),
      security: open('security.sqlite', false),
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

/** True when `db` has the table. */
export const hasTable = (db: Database.Database, table: string): boolean =>
  db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
