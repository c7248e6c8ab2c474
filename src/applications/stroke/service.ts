/**
 * The stroke check as a service: resolves the patient exactly as the context API does (same
 * errors, same access policy), reads the record's clinical sections and the study's results in
 * parallel (each with a timeout, each recorded in `sources`), and hands them to the pure check.
 * A failed or slow source makes the factors it feeds unknown; it never makes the answer fail.
 */
import type {
  Condition,
  DiagnosticReport,
  ImagingStudy,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Procedure,
} from '@medplum/fhirtypes';
import type { AccessPolicy, ContextService } from '../../context/index.js';
import { notFound, OperationOutcomeError, outcome, unprocessable } from '../../core/errors.js';
import type { Bundle, FhirResource } from '../../fhir/types.js';
import { assessStroke, type Failure, referenceTime, type StrokeRecord } from '../../clinical/stroke/index.js';
import type { StrokeAssessment, StrokeSource } from './answer.js';
import type { StrokeConfig } from './config.js';
import type { StrokeRequest } from './params.js';
import { StrokeRunEvents } from './events.js';
import { type RecentPage, type RecentRequest, recentRuns } from './recent.js';
import { type Deadline, type NamedServer, type Query, runSearch, startDeadline } from '../record-search.js';

export interface StrokeServiceOptions {
  /** Resolves the patient (404/409/403/502/504 as for /api/context). */
  context: ContextService;
  clinical: NamedServer;
  imaging: NamedServer;
  config: StrokeConfig;
  timeoutMs: number;
  maxPerSection: number;
  now?: () => number;
}

const DICOM_UID = 'urn:dicom:uid';

export class StrokeService {
  private readonly now: () => number;
  /** A run written (by the automatic check): pushed to GET /api/stroke/events. */
  readonly events = new StrokeRunEvents();

  constructor(private readonly o: StrokeServiceOptions) {
    this.now = o.now ?? Date.now;
  }

  get config(): StrokeConfig {
    return this.o.config;
  }

  /** Is the clinical record on our own server (the one holding studies and results)? */
  get sameServer(): boolean {
    return (
      this.o.clinical.client === this.o.imaging.client ||
      this.o.clinical.client.baseUrl === this.o.imaging.client.baseUrl
    );
  }

  /** The clinical server's base, when it is not ours (evidence references are then absolute). */
  get clinicalBase(): string | undefined {
    return this.sameServer ? undefined : this.o.clinical.client.baseUrl;
  }

  async assess(request: StrokeRequest, policy: AccessPolicy): Promise<StrokeAssessment> {
    // The context service resolves the patient with the same errors and policy (no section asked).
    const resolved = await this.o.context.assemble({ patient: request.patient, studyLimit: 1, include: [] }, policy);
    const patient = resolved.resources.find((r) => r.resourceType === 'Patient') as Patient;
    const sources: StrokeSource[] = [...resolved.context.sources];
    const study = request.studyUid ? await this.study(request.studyUid, patient, policy, sources) : undefined;
    const queries = this.queries(patient.id!, study);
    // The queries start together: one deadline (one timer at most) for all of them.
    const deadline = startDeadline(this.o.timeoutMs);
    const results = await Promise.all(queries.map((q) => this.run(q, policy, deadline))).finally(deadline.clear);
    const data = new Map<string, FhirResource[] | null>();
    const failures: Failure[] = [];
    results.forEach((r, i) => {
      const q = queries[i]!;
      sources.push(r.record);
      if (!r.bundle) {
        data.set(q.section, null);
        failures.push({ section: q.section, error: r.record.error ?? r.record.status });
        return;
      }
      if (data.get(q.section) === null) return;
      const list = data.get(q.section) ?? [];
      for (const e of r.bundle.entry ?? []) if (e.resource && policy.canSee(e.resource)) list.push(e.resource);
      data.set(q.section, list);
    });
    const of = <T>(section: string, type: string): T[] | null => {
      const d = data.get(section);
      return d === null ? null : ((d ?? []).filter((r) => r.resourceType === type) as T[]);
    };
    const meds = data.get('medications');
    const results_ = data.get('results');
    const record: StrokeRecord = {
      patient,
      observations: of<Observation>('observations', 'Observation'),
      conditions: of<Condition>('conditions', 'Condition'),
      procedures: of<Procedure>('procedures', 'Procedure'),
      medications:
        meds === null
          ? null
          : {
              requests: of<MedicationRequest>('medications', 'MedicationRequest')!,
              statements: of<MedicationStatement>('medications', 'MedicationStatement')!,
              administrations: of<MedicationAdministration>('medications', 'MedicationAdministration')!,
              medications: of<Medication>('medications', 'Medication')!,
            },
      results:
        study === undefined || results_ === null
          ? null
          : {
              reports: of<DiagnosticReport>('results', 'DiagnosticReport')!,
              observations: of<Observation>('results', 'Observation')!,
            },
      ...(study ? { study: `ImagingStudy/${study.id}` } : {}),
      failures,
    };
    const now = this.now();
    const ref = referenceTime({
      at: request.at,
      observations: record.observations,
      lastKnownWell: this.o.config.lastKnownWell,
      studyStarted: study?.started ? Date.parse(study.started) : undefined,
      now,
    });
    const guideline = request.guideline ?? this.o.config.guideline;
    const assessment = assessStroke(
      { record, referenceTime: ref.time, assessedAt: Math.max(now, ref.time) },
      guideline,
    );
    return {
      patient: resolved.context.patient,
      study: study ? studySummary(study, request.studyUid!) : null,
      guideline,
      referenceTime: new Date(ref.time).toISOString(),
      referenceTimeSource: ref.source,
      generatedAt: new Date(now).toISOString(),
      factors: assessment.factors,
      present: assessment.present,
      unknown: assessment.unknown,
      complete: sources.every((s) => s.status === 'ok'),
      sources,
    };
  }

  /**
   * The latest persisted runs (on our own server), newest first. `patient` is a Patient id of the
   * record server, as for assess(): with an external EHR the runs are those of our Patients sharing
   * one of its identifiers (the runs' subject is our Patient, whose id differs from the EHR's).
   */
  async recent(request: RecentRequest, policy: AccessPolicy): Promise<RecentPage> {
    if (!request.patient || this.sameServer) return recentRuns(this.o.imaging.client, request, policy);
    const resolved = await this.o.context.assemble(
      { patient: { id: request.patient }, studyLimit: 1, include: [] },
      policy,
    );
    const patient = resolved.resources.find((r) => r.resourceType === 'Patient') as Patient;
    const subjects = await this.ourPatients(patient, policy);
    return subjects.length
      ? recentRuns(this.o.imaging.client, { ...request, subjects }, policy)
      : { runs: [], total: 0 };
  }

  /** Our Patient ids sharing an identifier with the record server's patient (the bridge links studies by them). */
  private async ourPatients(patient: Patient, policy: AccessPolicy): Promise<string[]> {
    const tokens = (patient.identifier ?? [])
      .filter((i) => i.system && i.value)
      .map((i) => `${i.system}|${i.value}`.replace(/,/g, '\\,'));
    if (!tokens.length) return [];
    const r = await this.run(
      {
        section: 'patient',
        server: this.o.imaging,
        type: 'Patient',
        params: [
          ['identifier', tokens.join(',')],
          ['_count', '20'],
        ],
      },
      policy,
    );
    if (!r.bundle) throw upstream(r.record);
    return (r.bundle.entry ?? [])
      .map((e) => e.resource)
      .filter((x): x is FhirResource => x?.resourceType === 'Patient' && policy.canSee(x))
      .map((x) => x.id!);
  }

  /** The study asked for, on our own server: 404 when unknown, 422 when it belongs to another patient. */
  private async study(
    uid: string,
    patient: Patient,
    policy: AccessPolicy,
    sources: StrokeSource[],
  ): Promise<ImagingStudy> {
    const q: Query = {
      section: 'study',
      server: this.o.imaging,
      type: 'ImagingStudy',
      params: [
        ['identifier', `${DICOM_UID}|urn:oid:${uid}`],
        ['_count', '2'],
      ],
    };
    const r = await this.run(q, policy);
    sources.push(r.record);
    if (!r.bundle) throw upstream(r.record);
    const found = (r.bundle.entry ?? []).map((e) => e.resource).find((x) => x?.resourceType === 'ImagingStudy') as
      | ImagingStudy
      | undefined;
    if (!found || !policy.canSee(found as unknown as FhirResource))
      throw notFound(`no ImagingStudy with StudyInstanceUID ${uid}`);
    if (!(await this.samePatient(found, patient, policy)))
      throw unprocessable(`study ${uid} belongs to another patient`, 'study');
    return found;
  }

  /** Same server: the subject is the patient. External EHR: our Patient shares one of its identifiers. */
  private async samePatient(study: ImagingStudy, patient: Patient, policy: AccessPolicy): Promise<boolean> {
    const subject = study.subject?.reference ?? '';
    const id = /(?:^|\/)Patient\/([^/]+)$/.exec(subject)?.[1];
    if (!id) return false;
    if (this.sameServer) return id === patient.id;
    if (!policy.canRead('Patient')) return false;
    try {
      const ours = (await this.o.imaging.client.read('Patient', id)) as Patient;
      const keys = new Set((patient.identifier ?? []).map((i) => `${i.system}|${i.value}`));
      return (ours.identifier ?? []).some((i) => keys.has(`${i.system}|${i.value}`));
    } catch {
      return false;
    }
  }

  private queries(patientId: string, study: ImagingStudy | undefined): Query[] {
    const max = String(this.o.maxPerSection);
    const clinical = (section: string, type: string, ...params: [string, string][]): Query => ({
      section,
      server: this.o.clinical,
      type,
      params: [['patient', patientId], ...params, ['_count', max], ['_total', 'none']],
    });
    const out = [
      clinical('observations', 'Observation', ['_sort', '-date']),
      clinical('conditions', 'Condition'),
      clinical('procedures', 'Procedure'),
      clinical('medications', 'MedicationRequest', ['_include', 'MedicationRequest:medication']),
      clinical('medications', 'MedicationStatement'),
      clinical('medications', 'MedicationAdministration'),
    ];
    if (study) {
      const ref = `ImagingStudy/${study.id}`;
      const imagingPatient = /(?:^|\/)Patient\/([^/]+)$/.exec(study.subject?.reference ?? '')?.[1] ?? patientId;
      const imaging = (type: string, ...params: [string, string][]): Query => ({
        section: 'results',
        server: this.o.imaging,
        type,
        params: [...params, ['_count', max], ['_total', 'none']],
      });
      out.push(
        imaging('DiagnosticReport', ['patient', imagingPatient], ['_include', 'DiagnosticReport:result']),
        imaging('Observation', ['part-of', ref]),
      );
    }
    return out;
  }

  private run(q: Query, policy: AccessPolicy, deadline?: Deadline): Promise<{ bundle?: Bundle; record: StrokeSource }> {
    return runSearch(q, policy, deadline ?? this.o.timeoutMs, this.now);
  }
}

function studySummary(s: ImagingStudy, uid: string): NonNullable<StrokeAssessment['study']> {
  return {
    studyInstanceUid: uid,
    ...(s.started ? { started: s.started } : {}),
    ...(s.description ? { description: s.description } : {}),
  };
}

function upstream(record: StrokeSource): OperationOutcomeError {
  const timeout = record.status === 'timeout';
  if (record.status === 'denied')
    return new OperationOutcomeError(403, outcome('error', 'forbidden', record.error ?? 'denied'));
  return new OperationOutcomeError(
    timeout ? 504 : 502,
    outcome('error', timeout ? 'timeout' : 'exception', `reading the study failed: ${record.error ?? record.status}`),
  );
}
