import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Archive } from './archive/archive.js';
import { FileBlobStore } from './archive/file-blob-store.js';
import { SqliteIndex } from './archive/sqlite/sqlite-index.js';
import type { Config } from './config/schema.js';
import { QidoService } from './dicomweb/qido/index.js';
import { startDimseServer } from './dimse/index.js';
import { openEmbeddedFhir } from './fhir/embedded.js';
import { buildHttpApp } from './http/app.js';

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
  const app = buildHttpApp({ archive, qido, fhir: fhir.router, publicUrl: config.publicUrl, logger });
  // Keep-alive longer than typical proxy idle timeouts; no request timeout for long STOW/WADO streams.
  app.server.keepAliveTimeout = 65_000;
  app.server.requestTimeout = 0;
  // Validates sections.dimse first: a bad DIMSE config stops start-up before anything listens.
  const dimse = await startDimseServer(config, { archive, qido, logger });
  try {
    await app.listen({ host: config.host, port: config.httpPort });
  } catch (e) {
    await dimse.close();
    throw e;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.httpPort;
  logger.info({ host: config.host, httpPort: port, publicUrl: config.publicUrl, dataDir: config.dataDir }, 'ImagingBridge ready');
  return {
    httpUrl: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    dicomPort: dimse.port,
    close: async () => {
      await Promise.all([app.close(), dimse.close()]);
      archive.index.close();
      fhir.close();
    },
  };
}
