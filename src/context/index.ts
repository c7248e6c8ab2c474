/** Patient context: pure assembly (assemble.ts) and the service that feeds it (service.ts). */
import { type FhirReader, httpFhirClient, LocalFhirReader, type LocalFhirServer } from '../fhir/client/index.js';
import { parseFhirConfig } from '../fhir/config.js';
import { parseContextConfig } from './config.js';
import { CachedReader, type TargetsOf, type WriteFeed } from './cached-reader.js';
import { ContextService } from './service.js';

export { CachedReader } from './cached-reader.js';

export { allowAll, type AccessPolicy } from '../fhir/access/access-policy.js';
export { assembleContext, type Assembled } from './assemble.js';
export type * from './summaries.js';
export {
  checkParameters,
  type ContextRequest,
  parseContextQuery,
  parsePatientSelector,
  type PatientSelector,
} from './params.js';
export { ContextService, HiddenPatient } from './service.js';
export { SECTIONS, type SectionName } from './sections.js';

export interface OpenContextOptions {
  sections: { context?: unknown; fhir?: unknown };
  /** The embedded server's router: read through its handlers directly (LocalFhirReader). */
  embeddedFhir: LocalFhirServer;
  publicUrl: string;
  /** The embedded server's reader (openEmbeddedReader); by default an uncached one. */
  reader?: FhirReader;
}

export interface EmbeddedReaderOptions {
  sections: { context?: unknown; fhir?: unknown };
  embeddedFhir: LocalFhirServer;
  publicUrl: string;
  /**
   * The store's committed writes, when this process is its only writer (the embedded SQLite
   * store): reads are then cached until a write of their types. Absent: no cache.
   */
  writes?: WriteFeed;
  targetsOf: TargetsOf;
}

/** The reader of the embedded server shared by the context API and the clinical applications. */
export function openEmbeddedReader(o: EmbeddedReaderOptions): FhirReader {
  const fhir = parseFhirConfig(o.sections.fhir);
  const config = parseContextConfig(o.sections.context, Object.keys(fhir.servers));
  const local = new LocalFhirReader(o.embeddedFhir, `${o.publicUrl.replace(/\/+$/, '')}/fhir`);
  if (!o.writes || config.readCacheEntries === 0) return local;
  return new CachedReader(local, o.writes, o.targetsOf, { maxEntries: config.readCacheEntries });
}

/** Validates `sections.context` and builds the service over the embedded and the configured server. */
export function openContext(o: OpenContextOptions): ContextService {
  const fhir = parseFhirConfig(o.sections.fhir);
  const config = parseContextConfig(o.sections.context, Object.keys(fhir.servers));
  const publicUrl = o.publicUrl.replace(/\/+$/, '');
  const imaging = { name: 'embedded', client: o.reader ?? new LocalFhirReader(o.embeddedFhir, `${publicUrl}/fhir`) };
  const clinical =
    config.fhirServer === 'embedded'
      ? imaging
      : { name: config.fhirServer, client: httpFhirClient(fhir.servers[config.fhirServer]!) };
  return new ContextService({
    clinical,
    imaging,
    dicomWebBase: `${publicUrl}/dicomweb`,
    timeoutMs: config.timeoutMs,
    maxPerSection: config.maxPerSection,
  });
}
