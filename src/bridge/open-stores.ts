/**
 * The bridge's stores and the study → Patient links beside the archive index the server opened
 * (src/archive/open-index.ts): on its SQLite handle, or in PostgreSQL on the index's pool (the
 * bridge tables in the `archive` schema, the links in `study_links`, migrated at start).
 */
import type { OpenedIndex } from '../archive/open-index.js';
import { openPool } from '../core/postgres/pool.js';
import { PgStudyLinks } from './patients/study-links-pg.js';
import { SqliteStudyLinks, StudyPatientLinks, type StudyLinkStore } from './patients/study-links.js';
import { openPgBridgeStores } from './postgres/index.js';
import { sqliteBridgeStores, type BridgeStores } from './sync/index.js';

export interface OpenedBridgeStores {
  stores: BridgeStores;
  /** The links as the rest of the server reads them (patient-bound access, the ImagingStudy guard). */
  links: StudyLinkStore;
  /** Ends the sync's own pool, if it has one (after the bridge stopped). */
  close(): Promise<void>;
}

/**
 * Connections of the sync worker's own pool on PostgreSQL: its passes read and write on these, so
 * they never wait in the queue of the index's pool behind an ingest (100 concurrent STOW requests
 * queue hundreds of statements there; a pass's outbox read waited 8 s behind them, issue 22 P7).
 * On SQLite nothing waits: every read is synchronous.
 */
export const BRIDGE_POOL_MAX = 3;

/**
 * `outboxClaimMs`: with several instances on one database each due study is claimed by one of them
 * for this long (config `bridge.outboxClaimMs`, docs/bridge-postgres.md); unused on SQLite.
 * `database`: the index's URL, for the sync's own pool (BRIDGE_POOL_MAX); without it the sync
 * shares the index's pool.
 */
export async function openBridgeStores(
  index: OpenedIndex,
  options: { outboxClaimMs: number; database?: string | undefined },
): Promise<OpenedBridgeStores> {
  if (index.kind === 'sqlite') {
    const links = new StudyPatientLinks(index.db);
    return { stores: sqliteBridgeStores(index.db, links), links: new SqliteStudyLinks(links), close: async () => {} };
  }
  const own = options.database ? openPool(options.database, { max: BRIDGE_POOL_MAX }) : undefined;
  try {
    // On the sync's own pool (ended by close()), or else the index's (shared, closed with the index).
    const pool = own ?? index.pool;
    const pg = await openPgBridgeStores(pool, index.schema, { outbox: { claimMs: options.outboxClaimMs } });
    // Through the bridge stores' way in: the sync's link writes join its pass's journal transaction.
    const syncLinks = await PgStudyLinks.open(pool, { archiveSchema: index.schema, route: pg.db });
    const links = own ? await PgStudyLinks.open(index.pool, { archiveSchema: index.schema }) : syncLinks;
    return {
      stores: {
        outbox: pg.outbox,
        quarantine: pg.quarantine,
        reader: pg.reader,
        links: syncLinks,
        journal: (options) => pg.journal(options),
        overlapCommit: true,
      },
      links,
      close: async () => {
        await own?.end();
      },
    };
  } catch (e) {
    await own?.end();
    throw e;
  }
}
