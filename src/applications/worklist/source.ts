/**
 * Reads what the worklist scores from FHIR: the studies, a study's order (by basedOn, else by
 * accession number), and a patient's context (current encounters and their locations, flags,
 * triage and AI-result Observations, reports) — the clinical part from the external record server
 * when `context.fhirServer` names one, as the context API does.
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
import { readContexts } from './batched-contexts.js';
import type { PatientContext } from './patient-context.js';

export type { PatientContext } from './patient-context.js';

export type FoundOrder = { request: ServiceRequest; via: 'basedOn' | 'accession'; external?: boolean };

/** The clinical record when it is not our server (`context.fhirServer`): read only, by the patient's identifiers. */
export interface RecordServer {
  client: Pick<FhirClient, 'read' | 'searchAll'>;
  /** Its FHIR base URL (evidence references become absolute). */
  base: string;
}

type Reader = Pick<FhirClient, 'read' | 'searchAll'>;

const ESI = 'http://loinc.org|75636-1';
const IMAGING = 'http://terminology.hl7.org/CodeSystem/observation-category|imaging';
const LIMIT = { maxResources: 5000, maxPages: 50 };

const isAccession = (i: Identifier): boolean => !!i.type?.coding?.some((c) => c.code === 'ACSN') && !!i.value;

/** The study's accession identifier (with its issuer as system, where present). */
export const accessionOf = (s: ImagingStudy): Identifier | undefined =>
  s.identifier?.find(isAccession) ?? s.basedOn?.find((b) => b.identifier?.value)?.identifier;

/** Identifier tokens of a Patient for a search (`system|value`, commas escaped), OR-ed. */
export const identifierTokens = (p: Patient | undefined): string[] =>
  (p?.identifier ?? []).filter((i) => i.system && i.value).map((i) => `${i.system}|${i.value}`.replace(/,/g, '\\,'));

export class WorklistSource {
  private readonly locations = new Map<string, Location | null>();
  private readonly recordLocations = new Map<string, Location | null>();

  constructor(
    private readonly fhir: Reader,
    private readonly encounterStatuses: string[],
    readonly record?: RecordServer,
  ) {}

  /** Every ImagingStudy, page after page (no total counted on each page: the pages go on until one is short). */
  studies(): Promise<ImagingStudy[]> {
    return this.fhir.searchAll(
      'ImagingStudy',
      { _count: 500, _total: 'none' },
      { maxResources: 1_000_000, maxPages: 10_000 },
    );
  }

  /**
   * Several patients' contexts. Our server as the record: read together, one search per kind for
   * all of them (batched-contexts.ts). An external record server: patient by patient, 8 at a time.
   */
  async patientContexts(ids: string[]): Promise<Map<string, PatientContext>> {
    if (!this.record)
      return readContexts(this.fhir, ids, {
        encounterStatuses: this.encounterStatuses,
        esi: ESI,
        imaging: IMAGING,
        perPatient: LIMIT.maxResources,
        location: (key) => this.location(this.fhir, key, this.locations),
      });
    const out = new Map<string, PatientContext>();
    for (let i = 0; i < ids.length; i += 8)
      for (const [id, c] of await Promise.all(
        ids.slice(i, i + 8).map(async (id) => [id, await this.patientContext(id)] as const),
      ))
        out.set(id, c);
    return out;
  }

  async study(id: string): Promise<ImagingStudy | undefined> {
    return orMissing(() => this.fhir.read('ImagingStudy', id) as Promise<ImagingStudy>);
  }

  /** A Location changed: read it again when next needed. */
  forgetLocation(id: string): void {
    this.locations.delete(`Location/${id}`);
    this.recordLocations.delete(`Location/${id}`);
  }

  /**
   * The study's order: `basedOn` on our server, else by accession number — on the record server
   * first when it is external (orders live in the RIS/EHR; `recordPatientId` prefers the patient's).
   */
  async order(study: ImagingStudy, recordPatientId?: string): Promise<FoundOrder | undefined> {
    for (const b of study.basedOn ?? []) {
      const id = /(?:^|\/)ServiceRequest\/([^/]+)$/.exec(b.reference ?? '')?.[1];
      if (!id) continue;
      const request = await orMissing(() => this.fhir.read('ServiceRequest', id) as Promise<ServiceRequest>);
      if (request) return { request, via: 'basedOn' };
    }
    const acc = accessionOf(study);
    if (!acc?.value) return undefined;
    const token = acc.system ? `${acc.system}|${acc.value}` : acc.value;
    if (this.record) {
      const found = (await this.record.client.searchAll(
        'ServiceRequest',
        { identifier: token },
        { maxResources: 5 },
      )) as ServiceRequest[];
      const subject = recordPatientId ? `Patient/${recordPatientId}` : undefined;
      const request = found.find((r) => !subject || r.subject?.reference?.endsWith(subject)) ?? found[0];
      if (request) return { request, via: 'accession', external: true };
    }
    const found = (await this.fhir.searchAll(
      'ServiceRequest',
      { identifier: token },
      { maxResources: 5 },
    )) as ServiceRequest[];
    const subject = study.subject?.reference;
    const request = found.find((r) => !subject || r.subject?.reference === subject) ?? found[0];
    return request ? { request, via: 'accession' } : undefined;
  }

  /**
   * A patient's context. With an external record server: encounters (and their locations), flags,
   * triage and the EHR's reports from there, for the one Patient sharing an identifier with ours;
   * AI results and our reports from our server. A failing record server leaves its part empty.
   */
  async patientContext(patientId: string): Promise<PatientContext> {
    const patient = `Patient/${patientId}`;
    if (!this.record) {
      const [who, clinical, imaging] = await Promise.all([
        orMissing(() => this.fhir.read('Patient', patientId) as Promise<Patient>),
        this.clinical(this.fhir, patientId, this.locations),
        this.fhir.searchAll('Observation', { patient, category: IMAGING }, LIMIT),
      ]);
      return {
        ...(who ? { patient: who } : {}),
        ...clinical,
        observations: [...clinical.observations, ...(imaging as Observation[]).filter((o) => !!o.device)],
      };
    }
    const [who, imaging, reports] = await Promise.all([
      orMissing(() => this.fhir.read('Patient', patientId) as Promise<Patient>),
      this.fhir.searchAll('Observation', { patient, category: IMAGING }, LIMIT),
      this.fhir.searchAll('DiagnosticReport', { patient }, LIMIT),
    ]);
    const ai = (imaging as Observation[]).filter((o) => !!o.device);
    const out: PatientContext = {
      ...(who ? { patient: who } : {}),
      encounters: [],
      locations: new Map(),
      flags: [],
      observations: ai,
      reports: reports as DiagnosticReport[],
    };
    try {
      const recordPatientId = await this.link(who);
      if (!recordPatientId) return out;
      const clinical = await this.clinical(this.record.client, recordPatientId, this.recordLocations);
      const external = new Set(
        [...clinical.encounters, ...clinical.flags, ...clinical.observations, ...clinical.reports].map(
          (r) => `${r.resourceType}/${r.id}`,
        ),
      );
      for (const key of clinical.locations.keys()) external.add(key);
      return {
        ...out,
        recordPatientId,
        external,
        encounters: clinical.encounters,
        locations: clinical.locations,
        flags: clinical.flags,
        observations: [...clinical.observations, ...ai],
        reports: [...out.reports, ...clinical.reports],
      };
    } catch {
      return { ...out, recordFailed: true };
    }
  }

  /** The record server's Patient sharing an identifier with ours: none when none or several do (never a guess). */
  private async link(who: Patient | undefined): Promise<string | undefined> {
    const tokens = identifierTokens(who);
    if (!this.record || !tokens.length) return undefined;
    const found = await this.record.client.searchAll(
      'Patient',
      { identifier: tokens.join(','), _count: 3 },
      { maxResources: 3, maxPages: 1 },
    );
    return found.length === 1 ? found[0]!.id : undefined;
  }

  /** Current encounters and their locations, flags, triage (ESI) Observations and reports of a patient on one server. */
  private async clinical(
    client: Reader,
    patientId: string,
    cache: Map<string, Location | null>,
  ): Promise<Omit<PatientContext, 'patient'>> {
    const patient = `Patient/${patientId}`;
    const [encounters, flags, esi, reports] = await Promise.all([
      client.searchAll('Encounter', { patient, status: this.encounterStatuses.join(',') }, LIMIT),
      client.searchAll('Flag', { patient }, LIMIT),
      client.searchAll('Observation', { patient, code: ESI }, LIMIT),
      client.searchAll('DiagnosticReport', { patient }, LIMIT),
    ]);
    const locations = new Map<string, Location>();
    for (const e of encounters as Encounter[])
      for (const l of e.location ?? []) {
        const key = /(Location\/[^/]+)$/.exec(l.location?.reference ?? '')?.[1];
        if (!key || locations.has(key)) continue;
        const location = await this.location(client, key, cache);
        if (location) locations.set(key, location);
      }
    return {
      encounters: encounters as Encounter[],
      locations,
      flags: flags as Flag[],
      observations: esi as Observation[],
      reports: reports as DiagnosticReport[],
    };
  }

  private async location(client: Reader, key: string, cache: Map<string, Location | null>) {
    if (!cache.has(key)) {
      const found = await orMissing(() => client.read('Location', key.slice('Location/'.length)) as Promise<Location>);
      cache.set(key, found ?? null);
    }
    return cache.get(key) ?? undefined;
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
