/**
 * The bridge service of the server process: validates `bridge` (and the target in
 * `fhir.servers`), builds the FHIR client of the target (the embedded server in process, or an
 * external one over HTTP), checks its CapabilityStatement and runs the sync worker — in
 * process, or on its own thread with `bridge.thread` (bridge-thread.ts; SQLite stores only).
 */
import type { Logger } from 'pino';
import type { FhirRequestHandler } from '../../fhir/client/index.js';
import type { FhirServerConfig } from '../../fhir/client/server-config.js';
import { parseFhirConfig } from '../../fhir/config.js';
import type { WriteEvent } from '../../fhir/repository/observed-repository.js';
import { BridgeAdmin, type SyncStatusReport } from '../quarantine/bridge-admin.js';
import { BridgeThread } from './bridge-thread.js';
import type { CapabilityReport } from './capability-check.js';
import { CapabilityMonitor } from './capability-monitor.js';
import { parseBridgeConfig, type BridgeConfig } from './config.js';
import type { SourceDicomweb } from './study-sync.js';
import type { SyncEvent } from './sync-worker.js';
import { bridgeClient, buildSyncService } from './sync-service.js';
import type { BridgeThreadData } from './thread-protocol.js';

export { parseBridgeConfig, type BridgeConfig } from './config.js';
export { sqliteBridgeStores, type BridgeStores } from './stores.js';
import type { BridgeStores } from './stores.js';
export type { SyncEvent } from './sync-worker.js';
export type { StudyResult, SyncOutcome } from './study-sync.js';

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
  /**
   * How to run the sync on its own thread when `bridge.thread` is on (SQLite stores only): what
   * the thread opens, and where the FHIR writes it commits are told (EmbeddedFhir.announce).
   * Absent: the sync runs in process whatever the config says.
   */
  thread?: {
    data: () => Omit<BridgeThreadData, 'sections' | 'publicUrl' | 'logLevel' | 'idleMs' | 'spawnedAt'>;
    announce: (events: WriteEvent[]) => void;
    /** Whether the outbox has a study due (Outbox.hasDue): the thread runs only while there is work. */
    hasWork: () => boolean;
    /** How long the thread stays without work before it ends (default BRIDGE_THREAD_IDLE_MS). */
    idleMs?: number;
  };
}

/** The sync as the server drives it: in process (SyncWorker) or on the bridge's thread (BridgeThread). */
export interface SyncRunner {
  /** Every finished sync. Returns the unsubscribe function. */
  onSync(listener: (e: SyncEvent) => void): () => void;
  /** Sync one study now, whatever its debounce (a person asked: release, replay). */
  syncNow(studyUid: string): Promise<void>;
}

export interface Bridge {
  readonly config: BridgeConfig;
  readonly admin: BridgeAdmin;
  readonly worker: SyncRunner;
  /** Where the sync runs: `thread` (bridge.thread, SQLite) or `process`. */
  readonly runs: 'thread' | 'process';
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
  const { outbox, quarantine } = o.stores;
  const admin = new BridgeAdmin({ outbox, quarantine });
  const logger = o.logger.child({ component: 'fhir-sync' });
  const sync =
    config.thread && o.thread
      ? onThread(o, config, fhir.servers, publicUrl, o.thread)
      : inProcess(o, config, fhir.servers, publicUrl);
  if (config.thread && !o.thread)
    logger.info('bridge.thread is on but the archive index is not SQLite: the sync runs in process');

  return {
    config,
    admin,
    worker: sync.runner,
    runs: sync.runs,
    async start() {
      if (!config.enabled) {
        logger.warn('FHIR sync disabled (bridge.enabled = false): changes wait in the outbox');
        return;
      }
      await sync.start();
    },
    async status() {
      const live = await sync.status();
      return {
        enabled: config.enabled,
        ...(await admin.status()),
        ...(live.capabilities ? { capabilities: live.capabilities } : {}),
        inFlight: live.inFlight,
      };
    },
    async release(studyUid, actor, comment) {
      if (!(await admin.release(studyUid, actor, comment))) return false;
      if (config.enabled) await sync.runner.syncNow(studyUid);
      return true;
    },
    async reject(studyUid, actor, comment) {
      if (!(await admin.reject(studyUid, actor, comment))) return false;
      if (config.rejectPolicy === 'delete')
        await o.deleteStudy(studyUid, actor, `quarantine reject${comment ? `: ${comment}` : ''}`);
      if (config.enabled) await sync.runner.syncNow(studyUid);
      return true;
    },
    replay(studyUid) {
      return admin.replay(studyUid);
    },
    close: () => sync.close(),
  };
}

interface RunningSync {
  runner: SyncRunner;
  runs: 'thread' | 'process';
  start(): Promise<void>;
  status(): Promise<{ inFlight: number; capabilities?: CapabilityReport }>;
  close(): Promise<void>;
}

function inProcess(
  o: BridgeOptions,
  config: BridgeConfig,
  servers: Record<string, FhirServerConfig>,
  publicUrl: string,
): RunningSync {
  const client = bridgeClient(config, servers, publicUrl, o.embeddedFhir);
  const { worker, capabilities } = buildSyncService({
    stores: o.stores,
    config,
    client,
    publicUrl,
    logger: o.logger,
    ...(o.sourceDicomweb ? { sourceDicomweb: o.sourceDicomweb } : {}),
  });
  return {
    runner: worker,
    runs: 'process',
    async start() {
      worker.start();
      await capabilities.check();
    },
    async status() {
      const current = capabilities.current();
      return { inFlight: worker.inFlightCount(), ...(current ? { capabilities: current } : {}) };
    },
    close: () => worker.stop(),
  };
}

function onThread(
  o: BridgeOptions,
  config: BridgeConfig,
  servers: Record<string, FhirServerConfig>,
  publicUrl: string,
  thread: NonNullable<BridgeOptions['thread']>,
): RunningSync {
  const bridgeThread = new BridgeThread({
    data: () => ({
      ...thread.data(),
      sections: { bridge: o.sections.bridge, fhir: o.sections.fhir },
      publicUrl: o.publicUrl,
      logLevel: o.logger.level,
    }),
    announce: thread.announce,
    hasWork: thread.hasWork,
    pollMs: config.pollMs,
    logger: o.logger,
    ...(thread.idleMs !== undefined ? { idleMs: thread.idleMs } : {}),
  });
  // The target is checked at start here too (one read of its CapabilityStatement): the thread
  // starts only when a study is due, and the status reports the target before that.
  const logger = o.logger.child({ component: 'fhir-sync' });
  const capabilities = new CapabilityMonitor(
    bridgeClient(config, servers, publicUrl, o.embeddedFhir),
    config.target,
    logger,
  );
  return {
    runner: bridgeThread,
    runs: 'thread',
    async start() {
      bridgeThread.start();
      await capabilities.check();
    },
    async status() {
      const live = await bridgeThread.status();
      const current = live.capabilities ?? capabilities.current();
      return { inFlight: live.inFlight, ...(current ? { capabilities: current } : {}) };
    },
    close: () => bridgeThread.close(),
  };
}
