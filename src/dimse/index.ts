/** DIMSE service provider: the public API of src/dimse (the only user of dcmjs-dimse). */
import type { Logger } from 'pino';
import type { Archive } from '../archive/archive.js';
import type { Config } from '../config/schema.js';
import type { QidoService } from '../archive/query/index.js';
import { findHandler } from './find/find-scp.js';
import { getHandler, moveHandler } from './retrieve/retrieve-scp.js';
import { auditedHandler, StoreAudit, type DimseAuditSink } from './audit.js';
import { listenDimse, type RunningDimseServer } from './server.js';
import { parseDimseSettings } from './settings.js';

export { parseDimseSettings, type DimseSettings } from './settings.js';
export type { RunningDimseServer } from './server.js';

export interface DimseDeps {
  archive: Archive;
  qido: QidoService;
  logger: Logger;
  /** The audit trail: every C-FIND / C-MOVE / C-GET and the C-STOREs per study (see audit.ts). */
  audit?: DimseAuditSink;
}

export type { AssociationRejection, DimseAccess, DimseAuditEvent, DimseAuditSink } from './audit.js';
export { dimseAccessRecord } from './audit-record.js';

/** Validates `sections.dimse` (ConfigError) and starts the SCP on config.host:config.dicomPort. */
export async function startDimseServer(config: Config, deps: DimseDeps): Promise<RunningDimseServer> {
  const settings = parseDimseSettings(config, config.sections.dimse);
  const logger = deps.logger.child({ component: 'dimse' });
  if (settings.allow?.length === 0)
    logger.warn(
      'no calling AE title may associate: list them (with their hosts) in the "dimse.allow" section of the config file',
    );
  const query = { qido: deps.qido };
  const find = findHandler({ ...query, aeTitle: settings.aeTitle });
  const move = moveHandler({ ...query, archive: deps.archive, settings });
  const get = getHandler({ ...query, archive: deps.archive, settings });
  if (!deps.audit) return listenDimse(settings, deps.archive, { find, move, get }, logger);
  const audit = deps.audit;
  const stores = new StoreAudit(settings.aeTitle, deps.audit, (err) =>
    logger.error({ err }, 'DIMSE audit record not written'),
  );
  const running = await listenDimse(
    settings,
    stores.wrap(deps.archive),
    {
      find: auditedHandler('C-FIND', settings.aeTitle, deps.audit, find),
      move: auditedHandler('C-MOVE', settings.aeTitle, deps.audit, move),
      get: auditedHandler('C-GET', settings.aeTitle, deps.audit, get),
      rejected: (r) =>
        void audit(r).catch((err: unknown) =>
          logger.error({ err }, 'DIMSE audit record of a refused association not written'),
        ),
    },
    logger,
  );
  return {
    ...running,
    close: async () => {
      await running.close();
      await stores.flush();
    },
  };
}
