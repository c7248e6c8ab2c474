/**
 * The archive index a server opens: SQLite in the data directory (the default), or PostgreSQL
 * (`--database`, schema `archive`, migrated at start) shared by every instance on that database.
 * With it come the stores that read the same index: upkeep (running marker, pack keys, study
 * facts, resync) and the QIDO backend. The other stores beside the index (bridge, study links)
 * open on the handle or the pool returned here.
 */
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { redactUrl } from '../core/postgres/pool.js';
import type { SqliteKeys } from '../core/sqlite-open.js';
import type { ArchiveIndex } from './archive-index.js';
import type { ArchiveUpkeep } from './archive-upkeep.js';
import { instanceIdentity } from './instance-identity.js';
import { PgIndex } from './postgres/pg-index.js';
import { PgQidoBackend } from './postgres/pg-qido.js';
import { PgUpkeep } from './postgres/pg-upkeep.js';
import type { QidoBackend } from './query/qido-backend.js';
import { SqliteIndex } from './sqlite/sqlite-index.js';
import { SqliteQidoBackend } from './sqlite/sqlite-qido.js';
import { SqliteUpkeep } from './sqlite/sqlite-upkeep.js';

export type OpenedIndex = {
  index: ArchiveIndex;
  upkeep: ArchiveUpkeep;
  qido: QidoBackend;
  /** Where the index is, for logs: its file, or the database URL without its password. */
  where: string;
} & (
  | { kind: 'sqlite' /** The index's handle: the stores beside it keep their tables there. */; db: Database.Database }
  | {
      kind: 'postgres' /** The index's pool and schema: the stores beside it share them. */;
      pool: pg.Pool;
      schema: string;
    }
);

export async function openArchiveIndex(o: {
  dataDir: string;
  /** A PostgreSQL URL: the index is there; absent: `<dataDir>/index.sqlite`. */
  database?: string | undefined;
  sqliteKeys?: SqliteKeys | undefined;
}): Promise<OpenedIndex> {
  if (o.database) {
    // Each instance's blob journal mark and running marker are its own rows (instance-identity.ts).
    const instance = instanceIdentity(o.dataDir);
    const index = await PgIndex.open(o.database, 'archive', { instance }).catch((e: Error) => {
      throw new Error(`cannot open the archive index in PostgreSQL at ${redactUrl(o.database!)}: ${e.message}`, {
        cause: e,
      });
    });
    return {
      kind: 'postgres',
      index,
      upkeep: new PgUpkeep(index.pool, index.schema, { instance }),
      qido: new PgQidoBackend(index.pool, index.schema),
      where: redactUrl(o.database),
      pool: index.pool,
      schema: index.schema,
    };
  }
  const file = join(o.dataDir, 'index.sqlite');
  const index = new SqliteIndex(file, o.sqliteKeys);
  return {
    kind: 'sqlite',
    index,
    upkeep: new SqliteUpkeep(index.db),
    qido: new SqliteQidoBackend(index.db),
    where: file,
    db: index.db,
  };
}
