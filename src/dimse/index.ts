/** DIMSE service provider: the public API of src/dimse (the only user of dcmjs-dimse). */
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { Config } from '../config/schema.js';
import type { QidoService } from '../dicomweb/qido/index.js';
import { findHandler } from './find/find-scp.js';
import { getHandler, moveHandler } from './retrieve/retrieve-scp.js';
import { listenDimse, type RunningDimseServer } from './server.js';
import { parseDimseSettings } from './settings.js';

export { parseDimseSettings, type DimseSettings } from './settings.js';
export type { RunningDimseServer } from './server.js';

export interface DimseDeps {
  archive: Archive;
  qido: QidoService;
  logger: Logger;
}

/** Validates `sections.dimse` (ConfigError) and starts the SCP on config.host:config.dicomPort. */
export async function startDimseServer(config: Config, deps: DimseDeps): Promise<RunningDimseServer> {
  const settings = parseDimseSettings(config, config.sections.dimse);
  const logger = deps.logger.child({ component: 'dimse' });
  const pageSize = Math.min(1000, config.maxQidoResults);
  const query = { qido: deps.qido, pageSize };
  return listenDimse(
    settings,
    deps.archive,
    {
      find: findHandler({ ...query, aeTitle: settings.aeTitle }),
      move: moveHandler({ ...query, archive: deps.archive, settings }),
      get: getHandler({ ...query, archive: deps.archive, settings }),
    },
    logger,
  );
}
