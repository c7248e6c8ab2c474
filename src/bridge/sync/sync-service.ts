/**
 * The sync service of the bridge (capability check, StudySync, the worker over the outbox, the
 * journal of its passes), built the same way on the server's event loop (index.ts) and on the
 * bridge's own thread (bridge-thread-worker.ts).
 */
import type { Logger } from 'pino';
import { ConfigError } from '../../core/errors.js';
import {
  httpFhirClient,
  inProcessFhirClient,
  type FhirClient,
  type FhirRequestHandler,
} from '../../fhir/client/index.js';
import type { FhirServerConfig } from '../../fhir/client/server-config.js';
import type { BridgeConfig } from './config.js';
import { CapabilityMonitor } from './capability-monitor.js';
import type { BridgeStores } from './stores.js';
import { StudySync, type SourceDicomweb } from './study-sync.js';
import { SyncWorker } from './sync-worker.js';

export interface SyncService {
  worker: SyncWorker;
  capabilities: CapabilityMonitor;
}

export function buildSyncService(o: {
  stores: BridgeStores;
  config: BridgeConfig;
  client: FhirClient;
  publicUrl: string;
  logger: Logger;
  sourceDicomweb?: SourceDicomweb;
}): SyncService {
  const { config, client, stores } = o;
  const logger = o.logger.child({ component: 'fhir-sync' });
  const capabilities = new CapabilityMonitor(client, config.target, logger, (r) => {
    const stored = stores.outbox.setMeta('capabilities', r);
    if (stored instanceof Promise)
      stored.catch((err: unknown) => logger.warn({ err }, 'recording the target capabilities failed'));
  });
  // The bridge's own archive writes (findings, holds, outbox completion, sync records) go in one
  // commit per sync pass, not fsynced itself (write-journal.ts: all of it is derived again after a crash).
  const writes = stores.journal({
    relaxed: true,
    onError: (err, ops) =>
      logger.error({ err, ops }, 'recording sync results failed; the studies concerned are synced again'),
  });
  // The sync's archive writes go through the worker (worker.studyWrites): a pass commits those of
  // a study only while it holds the study's outbox claim, as it does its outbox completion.
  // (`study` is made next; the worker calls it only once started.)
  const worker: SyncWorker = new SyncWorker(stores.outbox, (uids) => study.syncBatch(uids), config, logger, {
    writes,
    overlapCommit: stores.overlapCommit ?? false,
    // PostgreSQL (the stores that overlap commits): passes wait on round trips, two run at once.
    // SQLite: one (its passes are CPU on this event loop; two would only interleave).
    passes: stores.overlapCommit ? 2 : 1,
  });
  const study: StudySync = new StudySync({
    reader: stores.reader,
    links: stores.links,
    client,
    quarantine: stores.quarantine,
    capabilities,
    config,
    dicomWebBase: `${o.publicUrl}/dicomweb`,
    ...(o.sourceDicomweb ? { sourceDicomweb: o.sourceDicomweb } : {}),
    dataQualityLog: o.logger.child({ channel: 'data-quality' }),
    writes: worker.studyWrites,
  });
  return { worker, capabilities };
}

/** The bridge's FHIR client: the embedded server's router in this thread, or the external target over HTTP. */
export function bridgeClient(
  config: BridgeConfig,
  servers: Record<string, FhirServerConfig>,
  publicUrl: string,
  embeddedFhir: FhirRequestHandler | undefined,
): FhirClient {
  if (config.target !== 'embedded') return httpFhirClient(servers[config.target]!);
  if (!embeddedFhir) throw new ConfigError('config "bridge.target" is "embedded" but no embedded FHIR server runs');
  // Every write of the bridge is validated before it is sent (validate-before-write.ts): the server skips its own check.
  return inProcessFhirClient(embeddedFhir, `${publicUrl}/fhir`, { validatedWrites: true });
}
