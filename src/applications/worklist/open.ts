/**
 * Builds the worklist from the config: validates `sections.worklist` (start-up fails on a bad
 * one), reads studies and context from our own FHIR server, DICOM facts through the port.
 */
import type { Logger } from 'pino';
import { parseWorklistConfig } from '../../clinical/worklist/index.js';
import type { FhirClient } from '../../fhir/client/index.js';
import type { WriteListener } from '../../fhir/repository/observed-repository.js';
import type { DicomStudyPort } from './ports.js';
import { WorklistService } from './service.js';
import { WorklistSource } from './source.js';

export interface OpenWorklistOptions {
  sections: { worklist?: unknown };
  fhir: Pick<FhirClient, 'read' | 'searchAll'>;
  dicom: DicomStudyPort;
  onWrite: (listener: WriteListener) => () => void;
  logger: Logger;
}

export function openWorklist(o: OpenWorklistOptions): WorklistService {
  const config = parseWorklistConfig(o.sections.worklist);
  return new WorklistService({
    source: new WorklistSource(o.fhir, config.setting.encounterStatuses),
    dicom: o.dicom,
    config,
    onWrite: o.onWrite,
    logger: o.logger,
  });
}
