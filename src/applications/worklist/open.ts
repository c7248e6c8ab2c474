/**
 * Builds the worklist from the config: validates `sections.worklist` (start-up fails on a bad
 * one), reads studies from our own FHIR server, DICOM facts through the port, and the clinical
 * context from the context API's record server (`context.fhirServer`: embedded, or an external
 * EHR read only and polled for changes every `worklist.recordPollSeconds`).
 */
import type { Logger } from 'pino';
import { parseWorklistConfig } from '../../clinical/worklist/index.js';
import { parseContextConfig } from '../../context/config.js';
import { httpFhirClient, type FhirClient } from '../../fhir/client/index.js';
import { parseFhirConfig } from '../../fhir/config.js';
import type { WriteListener } from '../../fhir/repository/observed-repository.js';
import type { DicomStudyPort } from './ports.js';
import { RecordPoller } from './record-poll.js';
import { WorklistService } from './service.js';
import { WorklistSource } from './source.js';

export interface OpenWorklistOptions {
  sections: { worklist?: unknown; context?: unknown; fhir?: unknown };
  fhir: Pick<FhirClient, 'read' | 'searchAll'>;
  dicom: DicomStudyPort;
  onWrite: (listener: WriteListener) => () => void;
  logger: Logger;
}

export function openWorklist(o: OpenWorklistOptions): WorklistService {
  const config = parseWorklistConfig(o.sections.worklist);
  const fhir = parseFhirConfig(o.sections.fhir);
  const context = parseContextConfig(o.sections.context, Object.keys(fhir.servers));
  const external = context.fhirServer === 'embedded' ? undefined : fhir.servers[context.fhirServer]!;
  const client = external ? httpFhirClient(external) : undefined;
  return new WorklistService({
    source: new WorklistSource(
      o.fhir,
      config.setting.encounterStatuses,
      client ? { client, base: client.baseUrl } : undefined,
    ),
    dicom: o.dicom,
    config,
    onWrite: o.onWrite,
    logger: o.logger,
    ...(client ? { poller: new RecordPoller(client), pollMs: config.recordPollSeconds * 1000 } : {}),
  });
}
