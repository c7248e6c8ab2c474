/**
 * The tumor-board summary as a service: resolves the patient exactly as the context API does
 * (same errors, same access policy), reads the record and the imaging in parallel (each query
 * with a timeout, each recorded in `sources`), and hands them to the pure RECIST rules.
 * A failed source empties the part it feeds and makes the answer incomplete; it never fails it.
 */
import type {
  BodyStructure,
  Condition,
  ImagingStudy,
  Medication,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
} from '@medplum/fhirtypes';
import {
  NODAL_SITES,
  NODAL_SITES_SOURCE,
  summarizeOncology,
  type OncologyComputed,
} from '../../clinical/oncology/index.js';
import type { AccessPolicy, ContextService, PatientContext } from '../../context/index.js';
import { unprocessable } from '../../core/errors.js';
import type { FhirResource } from '../../fhir/types.js';
import type { OncologyRequest } from './params.js';
import {
  type ApplicationSource as OncologySource,
  type NamedServer,
  type Query,
  runSearch,
  startDeadline,
} from '../record-search.js';

export interface OncologyServiceOptions {
  context: ContextService;
  clinical: NamedServer;
  imaging: NamedServer;
  timeoutMs: number;
  maxPerSection: number;
  /** Link to a study: the console's viewer when it runs, else WADO-RS. */
  studyLink: (studyInstanceUid: string) => string;
  now?: () => number;
}

/** The JSON answer of GET /api/oncology/summary (docs/oncology-summary.schema.json). */
export interface OncologySummary extends Omit<OncologyComputed, 'baselineNotFound'> {
  patient: PatientContext['patient'];
  question: string | null;
  generatedAt: string;
  baseline: string | null;
  since: string | null;
  nodalSites: { source: string; retrieved: string };
  complete: boolean;
  sources: OncologySource[];
}

const DICOM_UID = 'urn:dicom:uid';

export class OncologyService {
  private readonly now: () => number;

  constructor(private readonly o: OncologyServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  /** The FHIR base the record was read from (absolute references in the document). */
  get clinicalBase(): string {
    return this.o.clinical.client.baseUrl.replace(/\/+$/, '');
  }

  private get sameServer(): boolean {
    return (
      this.o.clinical.client === this.o.imaging.client ||
      this.o.clinical.client.baseUrl === this.o.imaging.client.baseUrl
    );
  }

  async summary(request: OncologyRequest, policy: AccessPolicy): Promise<OncologySummary> {
    const resolved = await this.o.context.assemble({ patient: request.patient, studyLimit: 1, include: [] }, policy);
    const patient = resolved.resources.find((r) => r.resourceType === 'Patient') as Patient;
    const sources: OncologySource[] = [...resolved.context.sources];
    const imagingIds = this.sameServer ? [patient.id!] : await this.imagingPatientIds(patient, policy, sources);
    const queries = this.queries(patient.id!, imagingIds);
    // The queries start together: one deadline (one timer at most) for all of them, as in the stroke check.
    const deadline = startDeadline(this.o.timeoutMs);
    const results = await Promise.all(queries.map((q) => runSearch(q, policy, deadline, this.now))).finally(
      deadline.clear,
    );
    const data = new Map<string, FhirResource[] | null>();
    results.forEach((r, i) => {
      const q = queries[i]!;
      sources.push(r.record);
      if (!r.bundle || data.get(q.section) === null) {
        data.set(q.section, null);
        return;
      }
      const list = data.get(q.section) ?? [];
      for (const e of r.bundle.entry ?? []) if (e.resource && policy.canSee(e.resource)) list.push(e.resource);
      data.set(q.section, list);
    });
    const of = <T>(section: string, type: string): T[] | null => {
      const d = data.get(section);
      if (d === null) return null;
      const seen = new Set<string>();
      return (d ?? []).filter((r) => r.resourceType === type && !seen.has(r.id!) && !!seen.add(r.id!)) as T[];
    };
    const studies = of<ImagingStudy>('studies', 'ImagingStudy');
    if (request.baseline && !studies?.some((s) => uidOf(s) === request.baseline))
      throw unprocessable(`baseline ${request.baseline} is not a study of this patient`, 'baseline');
    const computed = summarizeOncology(
      {
        observations: of<Observation>('observations', 'Observation'),
        bodyStructures: of<BodyStructure>('lesions', 'BodyStructure'),
        studies,
        conditions: of<Condition>('conditions', 'Condition'),
        medicationRequests: of<MedicationRequest>('medications', 'MedicationRequest'),
        medications: of<Medication>('medications', 'Medication') ?? [],
        procedures: of<Procedure>('procedures', 'Procedure'),
      },
      {
        nodalSites: NODAL_SITES,
        ...(request.baseline ? { baseline: request.baseline } : {}),
        ...(request.since ? { since: request.since } : {}),
      },
    );
    if (computed.baselineNotFound)
      throw unprocessable(`baseline ${request.baseline} has no lesion measurements to compare from`, 'baseline');
    const { baselineNotFound: _, ...rest } = computed;
    for (const tp of rest.timepoints)
      for (const s of tp.studies)
        if (s.studyInstanceUid) Object.assign(s, { url: this.o.studyLink(s.studyInstanceUid) });
    return {
      patient: resolved.context.patient,
      question: request.question ?? null,
      generatedAt: new Date(this.now()).toISOString(),
      baseline: request.baseline ?? null,
      since: request.since ?? null,
      ...rest,
      nodalSites: NODAL_SITES_SOURCE,
      complete: sources.every((s) => s.status === 'ok'),
      sources,
    };
  }

  /** The EHR patient's ids on our own server, matched by its identifiers (the bridge links studies by them). */
  private async imagingPatientIds(
    patient: Patient,
    policy: AccessPolicy,
    sources: OncologySource[],
  ): Promise<string[]> {
    const identifiers = (patient.identifier ?? [])
      .filter((i) => i.system && i.value)
      .map((i) => `${i.system}|${i.value}`.replace(/,/g, '\\,'));
    if (identifiers.length === 0) return [];
    const q: Query = {
      section: 'patient',
      server: this.o.imaging,
      type: 'Patient',
      params: [
        ['identifier', identifiers.join(',')],
        ['_count', '20'],
      ],
    };
    const r = await runSearch(q, policy, this.o.timeoutMs, this.now);
    sources.push(r.record);
    return (r.bundle?.entry ?? []).map((e) => e.resource?.id).filter((id): id is string => !!id);
  }

  private queries(patientId: string, imagingIds: string[]): Query[] {
    const max = String(this.o.maxPerSection);
    const on = (
      server: NamedServer,
      section: string,
      type: string,
      patient: string,
      ...params: [string, string][]
    ) => ({
      section,
      server,
      type,
      params: [['patient', patient], ...params, ['_count', max], ['_total', 'none']] as [string, string][],
    });
    const clinical = this.o.clinical;
    const out: Query[] = [
      on(clinical, 'observations', 'Observation', patientId),
      on(clinical, 'conditions', 'Condition', patientId),
      on(clinical, 'medications', 'MedicationRequest', patientId, ['_include', 'MedicationRequest:medication']),
      on(clinical, 'procedures', 'Procedure', patientId),
    ];
    if (imagingIds.length) {
      const ids = imagingIds.join(',');
      out.push(on(this.o.imaging, 'studies', 'ImagingStudy', ids), on(this.o.imaging, 'lesions', 'BodyStructure', ids));
      // Measurements written by the bridge and /api/ai-results live on our server.
      if (!this.sameServer) out.push(on(this.o.imaging, 'observations', 'Observation', ids));
    }
    return out;
  }
}

const uidOf = (s: ImagingStudy): string | undefined =>
  s.identifier?.find((i) => i.system === DICOM_UID && i.value)?.value?.replace(/^urn:oid:/, '');
