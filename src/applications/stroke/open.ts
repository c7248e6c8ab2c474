/**
 * Builds the stroke service from the config: the clinical record comes from the same server as
 * the context API's (`context.fhirServer`: embedded, or an external EHR read only), with the same
 * timeout and page size; studies and AI results from our own server.
 */
import type { ContextService } from '../../context/index.js';
import { parseContextConfig } from '../../context/config.js';
import { type FhirReader, httpFhirClient, LocalFhirReader, type LocalFhirServer } from '../../fhir/client/index.js';
import { parseFhirConfig } from '../../fhir/config.js';
import { parseStrokeConfig } from './config.js';
import { StrokeService } from './service.js';

export interface OpenStrokeOptions {
  sections: { context?: unknown; fhir?: unknown; stroke?: unknown };
  embeddedFhir: LocalFhirServer;
  publicUrl: string;
  context: ContextService;
  /** The embedded server's reader shared with the context API (openEmbeddedReader); by default an uncached one. */
  reader?: FhirReader;
}

export function openStroke(o: OpenStrokeOptions): StrokeService {
  const fhir = parseFhirConfig(o.sections.fhir);
  const context = parseContextConfig(o.sections.context, Object.keys(fhir.servers));
  const config = parseStrokeConfig(o.sections.stroke);
  const imaging = {
    name: 'embedded',
    client: o.reader ?? new LocalFhirReader(o.embeddedFhir, `${o.publicUrl.replace(/\/+$/, '')}/fhir`),
  };
  const clinical =
    context.fhirServer === 'embedded'
      ? imaging
      : { name: context.fhirServer, client: httpFhirClient(fhir.servers[context.fhirServer]!) };
  return new StrokeService({
    context: o.context,
    clinical,
    imaging,
    config,
    timeoutMs: context.timeoutMs,
    maxPerSection: context.maxPerSection,
  });
}
