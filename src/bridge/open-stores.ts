/**
 * The bridge's stores and the study → Patient links beside the archive index the server opened
 * (src/archive/open-index.ts): on its SQLite handle, or in PostgreSQL on the index's pool (the
 * bridge tables in the `archive` schema, the links in `study_links`, migrated at start).
 */
import type { OpenedIndex } from '../archive/open-index.js';
import { PgStudyLinks } from './patients/study-links-pg.js';
import { SqliteStudyLinks, StudyPatientLinks, type StudyLinkStore } from './patients/study-links.js';
import { openPgBridgeStores } from './postgres/index.js';
import { sqliteBridgeStores, type BridgeStores } from './sync/index.js';

export interface OpenedBridgeStores {
  stores: BridgeStores;
  /** The links as the rest of the server reads them (patient-bound access, the ImagingStudy guard). */
  links: StudyLinkStore;
}

/**
 * `outboxClaimMs`: with several instances on one database each due study is claimed by one of them
 * for this long (config `bridge.outboxClaimMs`, docs/bridge-postgres.md); unused on SQLite.
 */
export async function openBridgeStores(
  index: OpenedIndex,
  options: { outboxClaimMs: number },
): Promise<OpenedBridgeStores> {
  if (index.kind === 'sqlite') {
    const links = new StudyPatientLinks(index.db);
    return { stores: sqliteBridgeStores(index.db, links), links: new SqliteStudyLinks(links) };
  }
  // On the index's pool: shared, closed with the index.
  const pg = await openPgBridgeStores(index.pool, index.schema, { outbox: { claimMs: options.outboxClaimMs } });
  // Through the bridge stores' way in: the sync's link writes join its pass's journal transaction.
  const links = await PgStudyLinks.open(index.pool, { archiveSchema: index.schema, route: pg.db });
  return {
    stores: {
      outbox: pg.outbox,
      quarantine: pg.quarantine,
      reader: pg.reader,
      links,
      journal: (options) => pg.journal(options),
    },
    links,
  };
}
