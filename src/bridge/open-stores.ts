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

/**
 * With several instances on one database each due study is claimed by one of them for this long
 * (PgOutbox `claimMs`, docs/bridge-postgres.md): longer than a sync pass; a dead instance's rows
 * are due again after it.
 */
export const OUTBOX_CLAIM_MS = 60_000;

export interface OpenedBridgeStores {
  stores: BridgeStores;
  /** The links as the rest of the server reads them (patient-bound access, the ImagingStudy guard). */
  links: StudyLinkStore;
}

export async function openBridgeStores(index: OpenedIndex): Promise<OpenedBridgeStores> {
  if (index.kind === 'sqlite') {
    const links = new StudyPatientLinks(index.db);
    return { stores: sqliteBridgeStores(index.db, links), links: new SqliteStudyLinks(links) };
  }
  // On the index's pool: shared, closed with the index.
  const pg = await openPgBridgeStores(index.pool, index.schema, { outbox: { claimMs: OUTBOX_CLAIM_MS } });
  const links = await PgStudyLinks.open(index.pool, { archiveSchema: index.schema });
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
