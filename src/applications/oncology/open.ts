/**
 * Builds the oncology service from the config: the clinical record from the context API's server
 * (`context.fhirServer`), with the same timeout and page size; studies, lesions and measurements
 * from our own server.
 */
import type { ContextService } from '../../context/index.js';
import { parseContextConfig } from '../../context/config.js';
import { httpFhirClient, LocalFhirReader, type LocalFhirServer } from '../../fhir/client/index.js';
import { parseFhirConfig } from '../../fhir/config.js';
import { OncologyService } from './service.js';

export interface OpenOncologyOptions {
  sections: { context?: unknown; fhir?: unknown };
  embeddedFhir: LocalFhirServer;
  publicUrl: string;
  context: ContextService;
  /** The console runs: study links open its viewer (else WADO-RS). */
  console: boolean;
}

export function openOncology(o: OpenOncologyOptions): OncologyService {
  const fhir = parseFhirConfig(o.sections.fhir);
  const context = parseContextConfig(o.sections.context, Object.keys(fhir.servers));
  const base = o.publicUrl.replace(/\/+$/, '');
  const imaging = { name: 'embedded', client: new LocalFhirReader(o.embeddedFhir, `${base}/fhir`) };
  const clinical =
    context.fhirServer === 'embedded'
      ? imaging
      : { name: context.fhirServer, client: httpFhirClient(fhir.servers[context.fhirServer]!) };
  return new OncologyService({
    context: o.context,
    clinical,
    imaging,
    timeoutMs: context.timeoutMs,
    maxPerSection: context.maxPerSection,
    studyLink: (uid) => (o.console ? `${base}/studies/${uid}` : `${base}/dicomweb/studies/${uid}`),
  });
}
