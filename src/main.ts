import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Archive } from './archive/archive.js';
import { FileBlobStore } from './archive/file-blob-store.js';
import { SqliteIndex } from './archive/sqlite/sqlite-index.js';
import type { Config } from './config/schema.js';
import { openBridge } from './bridge/sync/index.js';
import { QidoService } from './dicomweb/qido/index.js';
import { loadDemoData } from './demo/loader.js';
import { startDimseServer } from './dimse/index.js';
import { inProcessFhirClient } from './fhir/client/index.js';
import { openEmbeddedFhir } from './fhir/embedded.js';
import { buildHttpApp } from './http/app.js';
import { openSources } from './sources/index.js';

/** Composition root: the only place that picks concrete implementations. */
export function openArchive(config: Pick<Config, 'dataDir' | 'duplicatePolicy' | 'bulkDataThreshold' | 'minFreeBytes'>): Archive {
  mkdirSync(config.dataDir, { recursive: true });
  const index = new SqliteIndex(join(config.dataDir, 'index.sqlite'));
  const blobs = new FileBlobStore(config.dataDir);
  return new Archive(index, blobs, {
    duplicatePolicy: config.duplicatePolicy,
    bulkDataThreshold: config.bulkDataThreshold,
    minFreeBytes: config.minFreeBytes,
  });
}

export interface RunningServer {
  httpUrl: string;
  /** The DIMSE port actually bound (config.dicomPort, or the one picked for port 0). */
  dicomPort: number;
  close(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const archive = openArchive(config);
  const qido = new QidoService(archive.index.db, { publicUrl: config.publicUrl, maxResults: config.maxQidoResults });
  const fhir = openEmbeddedFhir({
    dataDir: config.dataDir,
    publicUrl: config.publicUrl,
    section: config.sections.fhir,
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
  const app = buildHttpApp({ archive, qido, fhir: fhir.router, bridge, sources, publicUrl: config.publicUrl, logger });
  // Keep-alive longer than typical proxy idle timeouts; no request timeout for long STOW/WADO streams.
  app.server.keepAliveTimeout = 65_000;
  app.server.requestTimeout = 0;
  // Validates sections.dimse first: a bad DIMSE config stops start-up before anything listens.
  const dimse = await startDimseServer(config, { archive, qido, logger });
  try {
    if (config.demo) {
      // Before listening, with every ingest consumer wired: loading again only finds what is there.
      const fhirClient = inProcessFhirClient(fhir.router, `${config.publicUrl.replace(/\/+$/, '')}/fhir`);
      logger.info({ demo: await loadDemoData({ fhir: fhirClient, archive }) }, 'demo data loaded');
    }
    await app.listen({ host: config.host, port: config.httpPort });
  } catch (e) {
    await dimse.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  logger.info({ host: config.host, httpPort: port, publicUrl: config.publicUrl, dataDir: config.dataDir }, 'ImagingBridge ready');
  void bridge.start();
  sources.start();
  return {
    httpUrl: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    dicomPort: dimse.port,
    close: async () => {
      await sources.close();
      await Promise.all([app.close(), dimse.close()]);
      await bridge.close();
      archive.index.close();
      fhir.close();
    },
  };
}
