/**
 * The bridge service of the server process: validates `bridge` (and the target in
 * `fhir.servers`), builds the FHIR client of the target (the embedded server in process, or an
 * external one over HTTP), checks its CapabilityStatement and runs the sync worker.
 */
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { ConfigError } from '../../core/errors.js';
import {
  httpFhirClient,
  inProcessFhirClient,
  type FhirClient,
  type FhirRequestHandler,
} from '../../fhir/client/index.js';
import { parseFhirConfig } from '../../fhir/config.js';
import { BridgeAdmin, type SyncStatusReport } from '../quarantine/bridge-admin.js';
import { QuarantineStore, type QuarantineRecords } from '../quarantine/quarantine-store.js';
import { StudyPatientLinks } from '../patients/study-links.js';
import { CapabilityMonitor } from './capability-monitor.js';
import { parseBridgeConfig, type BridgeConfig } from './config.js';
import { StudySync, type SourceDicomweb, type StudyLinkRows } from './study-sync.js';
import { Outbox, type SyncOutbox } from './outbox.js';
import { sqliteStudyReader, type StudyReader } from './study-instances.js';
import { SyncWorker } from './sync-worker.js';
import { WriteJournal, type BridgeWriteJournal, type JournalLog } from './write-journal.js';

export { parseBridgeConfig, type BridgeConfig } from './config.js';
export type { SyncEvent } from './sync-worker.js';
export type { StudyResult, SyncOutcome } from './study-sync.js';

/**
 * The bridge's stores, all on the archive index's database: sqliteBridgeStores (the index's
 * SQLite handle) or the PostgreSQL ones (src/bridge/postgres/, composed in src/main.ts).
 */
export interface BridgeStores {
  outbox: SyncOutbox;
  quarantine: QuarantineRecords;
  reader: StudyReader;
  links: StudyLinkRows;
  /** The journal of the worker's passes (one commit per pass). */
  journal(options: { relaxed?: boolean; onError?: JournalLog }): BridgeWriteJournal;
  /** The next sync pass starts while a pass's archive commit runs (SyncWorkerOptions.overlapCommit): PostgreSQL, where that commit waits on round trips; not SQLite. */
  overlapCommit?: boolean;
}

/** The bridge's stores beside the SQLite archive index (its tables created if missing). */
export function sqliteBridgeStores(db: Database, links: StudyLinkRows = new StudyPatientLinks(db)): BridgeStores {
  return {
    outbox: new Outbox(db),
    quarantine: new QuarantineStore(db),
    reader: sqliteStudyReader(db),
    links,
    journal: (options) => new WriteJournal(db, options),
  };
}

export interface BridgeOptions {
  /** Outbox, instances, findings, quarantine, links: on the archive index's database. */
  stores: BridgeStores;
  sections: { bridge?: unknown; fhir?: unknown };
  /** The embedded FHIR server's router (target `embedded`). */
  embeddedFhir?: FhirRequestHandler;
  publicUrl: string;
  logger: Logger;
  /** The DICOMweb source of instances and its Endpoint choice (sources' `endpoint`); absent: ours for all. */
  sourceDicomweb?: SourceDicomweb;
  /** Administrative deletion of a study (reject policy `delete`). */
  deleteStudy: (studyUid: string, actor: string, reason: string) => Promise<number>;
}

export interface Bridge {
  readonly config: BridgeConfig;
  readonly admin: BridgeAdmin;
  readonly worker: SyncWorker;
  /** The bridge's own client: with the embedded target its writes are not validated again by the server — validate first. */
  readonly client: FhirClient;
  start(): Promise<void>;
  status(): Promise<SyncStatusReport & { enabled: boolean; inFlight: number }>;
  /** Release from quarantine and sync now. False when the study is not in quarantine. */
  release(studyUid: string, actor: string, comment?: string): Promise<boolean>;
  reject(studyUid: string, actor: string, comment?: string): Promise<boolean>;
  replay(studyUid?: string): Promise<number>;
  close(): Promise<void>;
}

/** Validates the config and builds the service; nothing runs before start(). */
export function openBridge(o: BridgeOptions): Bridge {
  const fhir = parseFhirConfig(o.sections.fhir);
  const config = parseBridgeConfig(o.sections.bridge, Object.keys(fhir.servers));
  const publicUrl = o.publicUrl.replace(/\/+$/, '');
  let client: FhirClient;
  if (config.target === 'embedded') {
    if (!o.embeddedFhir) throw new ConfigError('config "bridge.target" is "embedded" but no embedded FHIR server runs');
    // Every write of the bridge is validated before it is sent (validate-before-write.ts): the server skips its own check.
    client = inProcessFhirClient(o.embeddedFhir, `${publicUrl}/fhir`, { validatedWrites: true });
  } else {
    client = httpFhirClient(fhir.servers[config.target]!);
  }
  const { outbox, quarantine } = o.stores;
  const admin = new BridgeAdmin({ outbox, quarantine });
  const logger = o.logger.child({ component: 'fhir-sync' });
  const capabilities = new CapabilityMonitor(client, config.target, logger, (r) => {
    const stored = outbox.setMeta('capabilities', r);
    if (stored instanceof Promise)
      stored.catch((err: unknown) => logger.warn({ err }, 'recording the target capabilities failed'));
  });
  // The bridge's own archive writes (findings, holds, outbox completion, sync records) go in one
  // commit per sync pass, not fsynced itself (write-journal.ts: all of it is derived again after a crash).
  const writes = o.stores.journal({
    relaxed: true,
    onError: (err, ops) =>
      logger.error({ err, ops }, 'recording sync results failed; the studies concerned are synced again'),
  });
  const study = new StudySync({
    reader: o.stores.reader,
    links: o.stores.links,
    client,
    quarantine,
    capabilities,
    config,
    dicomWebBase: `${publicUrl}/dicomweb`,
    ...(o.sourceDicomweb ? { sourceDicomweb: o.sourceDicomweb } : {}),
    dataQualityLog: o.logger.child({ channel: 'data-quality' }),
    writes,
  });
  const worker = new SyncWorker(outbox, (uids) => study.syncBatch(uids), config, logger, {
    writes,
    overlapCommit: o.stores.overlapCommit ?? false,
  });

  return {
    config,
    admin,
    worker,
    client,
    async start() {
      if (!config.enabled) {
        logger.warn('FHIR sync disabled (bridge.enabled = false): changes wait in the outbox');
        return;
      }
      worker.start();
      await capabilities.check();
    },
    async status() {
      return {
        enabled: config.enabled,
        ...(await admin.status()),
        ...(capabilities.current() ? { capabilities: capabilities.current()! } : {}),
        inFlight: worker.inFlightCount(),
      };
    },
    async release(studyUid, actor, comment) {
      if (!(await admin.release(studyUid, actor, comment))) return false;
      if (config.enabled) await worker.syncNow(studyUid);
      return true;
    },
    async reject(studyUid, actor, comment) {
      if (!(await admin.reject(studyUid, actor, comment))) return false;
      if (config.rejectPolicy === 'delete')
        await o.deleteStudy(studyUid, actor, `quarantine reject${comment ? `: ${comment}` : ''}`);
      if (config.enabled) await worker.syncNow(studyUid);
      return true;
    },
    replay(studyUid) {
      return admin.replay(studyUid);
    },
    close: () => worker.stop(),
  };
}
