import type { Archive } from '../archive/archive.js';
import { openAuditLog, openPostgresAuditLog, type OpenedAuditLog } from '../audit/index.js';
import { openPgBridgeStores } from '../bridge/postgres/index.js';
import { BridgeAdmin, sqliteBridgeAdmin } from '../bridge/quarantine/bridge-admin.js';
import type { Config } from '../config/schema.js';
import { openAtRestOf } from '../core/encryption/at-rest.js';
import { createLogger } from '../core/logger.js';
import { redactUrl } from '../core/postgres/pool.js';
import { openArchive, openArchiveDatabase } from '../archive-storage.js';
import { openSourceStateStore } from '../sources/open-state-store.js';
import type { SourceStateStore } from '../sources/state-store.js';
import { sqliteStudyReader, type StudyReader } from '../bridge/sync/study-instances.js';

/**
 * The state a CLI command shares with running servers, where `serve` keeps it: in PostgreSQL
 * when `config.database` is set (--database, IMAGING_BRIDGE_DATABASE or the config file's
 * `database`, resolved by loadConfig as for serve), else in the data folder's archive database.
 * Each part is opened on first use; close() ends what was opened.
 */
export interface SharedStores {
  /** The bridge's outbox, sync records and quarantine (`archive` schema on PostgreSQL). */
  bridge(): Promise<BridgeAdmin>;
  /** The archived instances as the bridge reads them to sync a study (same database). */
  studies(): Promise<StudyReader>;
  /** The watched sources' progress (`sources` schema on PostgreSQL). */
  sources(): Promise<SourceStateStore>;
  /** The archive (index and blobs) as `serve` opens it (src/main.ts's openArchive). */
  archive(): Promise<Archive>;
  /** The audit chain (`audit` schema on PostgreSQL), appended to without a FHIR copy: the server makes it. */
  audit(): Promise<OpenedAuditLog>;
  close(): Promise<void>;
}

export function openSharedStores(config: Config): SharedStores {
  const closers: (() => Promise<void>)[] = [];
  const once = <T>(open: () => Promise<T>): (() => Promise<T>) => {
    let opened: Promise<T> | undefined;
    return () => (opened ??= open());
  };
  const database = config.database;
  const unreachable = (what: string, url: string) => (e: Error) => {
    throw new Error(`cannot open ${what} in PostgreSQL at ${redactUrl(url)}: ${e.message}`, { cause: e });
  };
  // Embedded: the stores live in the archive index's SQLite file, opened with the archive.
  const embedded = once(async () => {
    const opened = await openArchiveDatabase(config);
    closers.push(() => opened.archive.close());
    return opened;
  });
  const bridgeStores = once(async (): Promise<{ admin: BridgeAdmin; reader: StudyReader }> => {
    if (database === undefined) {
      const { db } = await embedded();
      return { admin: sqliteBridgeAdmin(db), reader: sqliteStudyReader(db) };
    }
    const stores = await openPgBridgeStores(database).catch(unreachable("the bridge's state", database));
    closers.push(() => stores.close());
    return { admin: new BridgeAdmin({ outbox: stores.outbox, quarantine: stores.quarantine }), reader: stores.reader };
  });
  const sources = once(async () => {
    const state = await openSourceStateStore(database, database === undefined ? (await embedded()).db : undefined);
    closers.push(() => state.close());
    return state.store;
  });
  const archive = once(async () => {
    if (database === undefined) return (await embedded()).archive;
    const opened = await openArchive(config);
    closers.push(() => opened.close());
    return opened;
  });
  const audit = once(async () => {
    const options = {
      dataDir: config.dataDir,
      keyFile: config.auditKeyFile,
      logger: createLogger('warn'),
    };
    const log =
      database === undefined
        ? openAuditLog({ ...options, sqliteKeys: openAtRestOf(config).sqlite })
        : await openPostgresAuditLog({ ...options, database });
    closers.push(() => log.close());
    return log;
  });
  return {
    bridge: async () => (await bridgeStores()).admin,
    studies: async () => (await bridgeStores()).reader,
    sources,
    archive,
    audit,
    close: async () => {
      // Last opened, first closed (the archive, which the embedded stores live in, last); each
      // closed even when one before it fails, the first failure thrown.
      let failed: unknown;
      for (const close of closers.splice(0).reverse()) await close().catch((e: unknown) => void (failed ??= e));
      if (failed !== undefined) throw failed;
    },
  };
}
