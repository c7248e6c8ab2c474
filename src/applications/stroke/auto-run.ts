/**
 * The automatic check: when a head CT/MR ImagingStudy is written on our server, and again when an
 * AI result or report for it arrives, the study's patient is assessed and the run is written as
 * FHIR resources (persist.ts), replacing the previous run; Subscriptions on DetectedIssue or List
 * notify through the ordinary machinery. Runs of one study are serialized and coalesced; a failure
 * is logged and never reaches the write that triggered it (ingest is never blocked).
 */
import type { DiagnosticReport, ImagingStudy, Observation, Patient, Reference } from '@medplum/fhirtypes';
import type { Logger } from 'pino';
import { allowAll } from '../../context/index.js';
import type { FhirClient } from '../../fhir/client/index.js';
import type { WriteEvent, WriteListener } from '../../fhir/repository/observed-repository.js';
import type { Bundle } from '../../fhir/types.js';
import { isHeadStudy } from '../../clinical/stroke/index.js';
import { assessmentBundle } from './persist.js';
import type { StrokeRequest } from './params.js';
import type { StrokeService } from './service.js';

export interface StrokeAutoRunOptions {
  service: StrokeService;
  /** Our own server: reads studies and patients, writes the runs. */
  fhir: Pick<FhirClient, 'read' | 'transaction'>;
  onWrite: (listener: WriteListener) => () => void;
  logger: Logger;
  /** Writes of one study arriving within this time make one run (the bridge updates a study as instances arrive). */
  settleMs?: number;
}

const DICOM_UID = 'urn:dicom:uid';
const studyIdOf = (r: Reference | undefined) => /(?:^|\/)ImagingStudy\/([^/]+)$/.exec(r?.reference ?? '')?.[1];

export class StrokeAutoRun {
  private readonly runs = new Map<string, { again: boolean; done: Promise<void> }>();
  private unsubscribe?: () => void;
  private closed = false;

  constructor(private readonly o: StrokeAutoRunOptions) {}

  start(): void {
    this.unsubscribe = this.o.onWrite((events) => this.onWrite(events));
  }

  close(): void {
    this.closed = true;
    this.unsubscribe?.();
  }

  /** Resolves once every run scheduled so far has finished. */
  async idle(): Promise<void> {
    while (this.runs.size) await Promise.all([...this.runs.values()].map((r) => r.done));
  }

  private onWrite(events: WriteEvent[]): void {
    if (this.closed) return;
    for (const e of events) {
      if (e.kind === 'delete' || !e.resource) continue;
      const ids = studiesOf(e);
      for (const id of ids)
        this.schedule(id, e.resourceType === 'ImagingStudy' ? (e.resource as unknown as ImagingStudy) : undefined);
    }
  }

  private schedule(studyId: string, study?: ImagingStudy): void {
    // A study that is not a head CT/MR is dismissed at once, without a read.
    if (study && !isHeadStudy(study, this.o.service.config)) return;
    const pending = this.runs.get(studyId);
    if (pending) {
      pending.again = true;
      return;
    }
    const state = { again: true, done: Promise.resolve() };
    this.runs.set(studyId, state);
    state.done = (async () => {
      while (state.again && !this.closed) {
        state.again = false;
        await new Promise((r) => setTimeout(r, this.o.settleMs ?? 100));
        try {
          await this.run(studyId);
        } catch (err) {
          this.o.logger.warn({ err, study: studyId }, 'stroke check failed');
        }
      }
      this.runs.delete(studyId);
    })();
  }

  private async run(studyId: string): Promise<void> {
    const study = (await this.o.fhir.read('ImagingStudy', studyId)) as unknown as ImagingStudy;
    if (!isHeadStudy(study, this.o.service.config)) return;
    const uid = study.identifier?.find((i) => i.system === DICOM_UID)?.value?.replace(/^urn:oid:/, '');
    const patientRef = study.subject?.reference;
    if (!uid || !patientRef?.startsWith('Patient/')) return;
    const patient = (await this.o.fhir.read('Patient', patientRef.slice('Patient/'.length))) as unknown as Patient;
    const who = this.patientRequest(patient);
    if (!who) return;
    const assessment = await this.o.service.assess({ patient: who, studyUid: uid }, allowAll);
    const bundle = assessmentBundle(assessment, {
      patient: patientRef,
      study: `ImagingStudy/${studyId}`,
      clinicalBase: this.o.service.clinicalBase,
    });
    await this.o.fhir.transaction(bundle as unknown as Bundle);
    this.o.service.events.emit({
      type: 'run',
      studyInstanceUid: uid,
      patientId: patientRef.slice('Patient/'.length),
      assessedAt: assessment.generatedAt,
      present: assessment.present,
      unknown: assessment.unknown,
      complete: assessment.complete,
    });
    this.o.logger.info(
      {
        study: studyId,
        present: assessment.present,
        unknown: assessment.unknown.length,
        complete: assessment.complete,
      },
      'stroke check written',
    );
  }

  /** Our Patient as the clinical server knows it: the same id, or an identifier for an external EHR. */
  private patientRequest(patient: Patient): StrokeRequest['patient'] | undefined {
    if (this.o.service.sameServer) return { id: patient.id! };
    const i = patient.identifier?.find((x) => x.system && x.value);
    return i ? { identifier: { system: i.system!, value: i.value! } } : undefined;
  }
}

/** The ImagingStudy ids a write concerns: the study itself, or the study an AI result or report is about. */
function studiesOf(e: WriteEvent): string[] {
  const r = e.resource!;
  if (e.resourceType === 'ImagingStudy') return [e.id];
  if (e.resourceType === 'DiagnosticReport')
    return ((r as unknown as DiagnosticReport).imagingStudy ?? []).map(studyIdOf).filter((x) => x !== undefined);
  if (e.resourceType === 'Observation') {
    const o = r as unknown as Observation;
    return [...new Set([...(o.partOf ?? []), ...(o.derivedFrom ?? [])].map(studyIdOf).filter((x) => x !== undefined))];
  }
  return [];
}
