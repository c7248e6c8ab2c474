import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Archive } from './archive/archive.js';
import { FileBlobStore } from './archive/file-blob-store.js';
import { OrphanSweeper } from './archive/orphan-sweep.js';
import { SqliteIndex } from './archive/sqlite/sqlite-index.js';
import type { Config } from './config/schema.js';
import { AiResultsService } from './ai-results/index.js';
import { AuditBatcher } from './context/audit.js';
import { openContext } from './context/index.js';
import { recordAuditEvent } from './fhir/audit-events.js';
import { NotificationService, parseNotificationsConfig } from './notifications/index.js';
import { openBridge } from './bridge/sync/index.js';
import { QidoService } from './dicomweb/qido/index.js';
import { loadDemoData } from './demo/loader.js';
import { startDimseServer } from './dimse/index.js';
import { inProcessFhirClient } from './fhir/client/index.js';
import { openEmbeddedFhir } from './fhir/embedded.js';
import { buildHttpApp } from './http/app.js';
import { openSources } from './sources/index.js';

/** Our version, as published (the CapabilityStatement states it). dist/main.js and src/main.ts both sit one level below package.json. */
const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** Composition root: the only place that picks concrete implementations. */
type StorageConfig = Pick<Config, 'dataDir' | 'duplicatePolicy' | 'bulkDataThreshold' | 'minFreeBytes'>;

function openStorage(config: StorageConfig): { archive: Archive; blobs: FileBlobStore } {
  mkdirSync(config.dataDir, { recursive: true });
  const index = new SqliteIndex(join(config.dataDir, 'index.sqlite'));
  const blobs = new FileBlobStore(config.dataDir);
  const archive = new Archive(index, blobs, {
    duplicatePolicy: config.duplicatePolicy,
    bulkDataThreshold: config.bulkDataThreshold,
    minFreeBytes: config.minFreeBytes,
  });
  return { archive, blobs };
}

export function openArchive(config: StorageConfig): Archive {
  return openStorage(config).archive;
}

/** After an unclean stop, files renamed into place but never committed are swept (now, and once more later). */
function sweepAfterCrash(archive: Archive, blobs: FileBlobStore, logger: Logger): OrphanSweeper {
  const sweeper = new OrphanSweeper(archive.index, blobs);
  const since = sweeper.begin();
  if (since !== undefined) {
    const run = () =>
      sweeper.sweep(since).then(
        (removed) => removed > 0 && logger.warn({ removed }, 'removed files left unindexed by an unclean stop'),
        (err: unknown) => logger.error({ err }, 'orphan sweep failed'),
      );
    void run();
    setTimeout(run, 90_000).unref(); // files younger than a minute are left for this second pass
  }
  return sweeper;
}

export interface RunningServer {
  httpUrl: string;
  /** The DIMSE port actually bound (config.dicomPort, or the one picked for port 0). */
  dicomPort: number;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const { archive, blobs } = openStorage(config);
  const sweeper = sweepAfterCrash(archive, blobs, logger);
  const qido = new QidoService(archive.index.db, { publicUrl: config.publicUrl, maxResults: config.maxQidoResults });
  const fhir = openEmbeddedFhir({
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    section: config.sections.fhir,
    version: VERSION,
    onError: (err) => logger.error({ err }, 'FHIR request failed'),
  });
  // Validates sections.bridge: a bad bridge config stops start-up before anything listens.
  const bridge = openBridge({
    db: archive.index.db,
    sections: config.sections,
    embeddedFhir: fhir.router,
    publicUrl: config.publicUrl,
    logger,
    deleteStudy: (studyUid, actor, reason) => archive.delete({ studyUid }, actor, reason),
  });
  // Validates sections.sources; polling starts once we listen (C-MOVE sources send to our SCP).
  const sources = openSources(config, { archive, logger });
  // Patient-context reads are audited in batches (one durable write per batch, not per read).
  const audits = new AuditBatcher(
    (events) =>
      fhir.repository.transaction(async (tx) => {
        for (const e of events) await recordAuditEvent(tx, e);
      }),
    (err) => logger.error({ err }, 'audit events not written'),
  );
  // Validates sections.context (clinical data from the embedded server or a named external one).
  const context = openContext({ sections: config.sections, embeddedFhir: fhir.router, publicUrl: config.publicUrl, audit: (e) => audits.add(e) });
  const embeddedClient = inProcessFhirClient(fhir.router, `${config.publicUrl.replace(/\/+$/, '')}/fhir`);
  const aiResults = new AiResultsService({ fhir: embeddedClient });
  // Validates sections.notifications; Subscriptions are picked up once we listen.
  const notifications = new NotificationService({
    fhir: embeddedClient,
    onWrite: (listener) => fhir.onWrite(listener),
    config: parseNotificationsConfig(config.sections.notifications),
    logger: logger.child({ component: 'notifications' }),
  });
  const app = buildHttpApp({ archive, qido, fhir: fhir.router, bridge, sources, context, aiResults, publicUrl: config.publicUrl, logger });
  // Keep-alive longer than typical proxy idle timeouts; no request timeout for long STOW/WADO streams.
  app.server.keepAliveTimeout = 65_000;
  app.server.requestTimeout = 0;
  notifications.websocket.attach(app.server);
  // Validates sections.dimse first: a bad DIMSE config stops start-up before anything listens.
  const dimse = await startDimseServer(config, { archive, qido, logger });
  try {
    if (config.demo) {
      // Before listening, with every ingest consumer wired: loading again only finds what is there.
      logger.info({ demo: await loadDemoData({ fhir: embeddedClient, archive }) }, 'demo data loaded');
    }
    await app.listen({ host: config.host, port: config.httpPort });
  } catch (e) {
    await dimse.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  logger.info({ host: config.host, httpPort: port, publicUrl: config.publicUrl, dataDir: config.dataDir }, 'ImagingBridge ready');
  // Before the bridge starts: the ImagingStudies it writes notify.
  await notifications.start();
  void bridge.start();
  sources.start();
  return {
    httpUrl: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    dicomPort: dimse.port,
    close: async () => {
      await sources.close();
      notifications.close();
      await Promise.all([app.close(), dimse.close()]);
      await bridge.close();
      await audits.flush();
      sweeper.end();
      archive.index.close();
      fhir.close();
    },
  };
}
