/**
 * Reads what the worklist scores from FHIR: the studies, a study's order (by basedOn, else by
 * accession number), and a patient's context (current encounters and their locations, flags,
 * triage and AI-result Observations, reports).
 */
import type {
  DiagnosticReport,
  Encounter,
  Flag,
  Identifier,
  ImagingStudy,
  Location,
  Observation,
  Patient,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { statusOf, type FhirClient } from '../../fhir/client/index.js';

export interface PatientContext {
  patient?: Patient;
  encounters: Encounter[];
  locations: Map<string, Location>;
  flags: Flag[];
  observations: Observation[];
  reports: DiagnosticReport[];
}

export type FoundOrder = { request: ServiceRequest; via: 'basedOn' | 'accession' };

const ESI = 'http://loinc.org|75636-1';
const IMAGING = 'http://terminology.hl7.org/CodeSystem/observation-category|imaging';
const LIMIT = { maxResources: 5000, maxPages: 50 };

const isAccession = (i: Identifier): boolean => !!i.type?.coding?.some((c) => c.code === 'ACSN') && !!i.value;

/** The study's accession identifier (with its issuer as system, where present). */
export const accessionOf = (s: ImagingStudy): Identifier | undefined =>
  s.identifier?.find(isAccession) ?? s.basedOn?.find((b) => b.identifier?.value)?.identifier;

export class WorklistSource {
  private readonly locations = new Map<string, Location | null>();

  constructor(
    private readonly fhir: Pick<FhirClient, 'read' | 'searchAll'>,
    private readonly encounterStatuses: string[],
  ) {}

  studies(): Promise<ImagingStudy[]> {
    return this.fhir.searchAll('ImagingStudy', { _count: 500 }, { maxResources: 1_000_000, maxPages: 10_000 });
  }

  async study(id: string): Promise<ImagingStudy | undefined> {
    return orMissing(() => this.fhir.read('ImagingStudy', id) as Promise<ImagingStudy>);
  }

  /** A Location changed: read it again when next needed. */
  forgetLocation(id: string): void {
    this.locations.delete(`Location/${id}`);
  }

  async order(study: ImagingStudy): Promise<FoundOrder | undefined> {
    for (const b of study.basedOn ?? []) {
      const id = /(?:^|\/)ServiceRequest\/([^/]+)$/.exec(b.reference ?? '')?.[1];
      if (!id) continue;
      const request = await orMissing(() => this.fhir.read('ServiceRequest', id) as Promise<ServiceRequest>);
      if (request) return { request, via: 'basedOn' };
    }
    const acc = accessionOf(study);
    if (!acc?.value) return undefined;
    const token = acc.system ? `${acc.system}|${acc.value}` : acc.value;
    const found = (await this.fhir.searchAll(
      'ServiceRequest',
      { identifier: token },
      { maxResources: 5 },
    )) as ServiceRequest[];
    const subject = study.subject?.reference;
    const request = found.find((r) => !subject || r.subject?.reference === subject) ?? found[0];
    return request ? { request, via: 'accession' } : undefined;
  }

  async patientContext(patientId: string): Promise<PatientContext> {
    const patient = `Patient/${patientId}`;
    const [who, encounters, flags, esi, imaging, reports] = await Promise.all([
      orMissing(() => this.fhir.read('Patient', patientId) as Promise<Patient>),
      this.fhir.searchAll('Encounter', { patient, status: this.encounterStatuses.join(',') }, LIMIT),
      this.fhir.searchAll('Flag', { patient }, LIMIT),
      this.fhir.searchAll('Observation', { patient, code: ESI }, LIMIT),
      this.fhir.searchAll('Observation', { patient, category: IMAGING }, LIMIT),
      this.fhir.searchAll('DiagnosticReport', { patient }, LIMIT),
    ]);
    const locations = new Map<string, Location>();
    for (const e of encounters as Encounter[])
      for (const l of e.location ?? []) {
        const key = /(Location\/[^/]+)$/.exec(l.location?.reference ?? '')?.[1];
        if (!key || locations.has(key)) continue;
        const location = await this.location(key);
        if (location) locations.set(key, location);
      }
    return {
      ...(who ? { patient: who } : {}),
      encounters: encounters as Encounter[],
      locations,
      flags: flags as Flag[],
      observations: [...(esi as Observation[]), ...(imaging as Observation[]).filter((o) => !!o.device)],
      reports: reports as DiagnosticReport[],
    };
  }

  private async location(key: string): Promise<Location | undefined> {
    if (!this.locations.has(key)) {
      const found = await orMissing(
        () => this.fhir.read('Location', key.slice('Location/'.length)) as Promise<Location>,
      );
      this.locations.set(key, found ?? null);
    }
    return this.locations.get(key) ?? undefined;
  }
}

async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (statusOf(e) === 404 || statusOf(e) === 410) return undefined;
    throw e;
  }
}
