/**
 * One study, archive → FHIR: load its visible instances, normalize with the source's profile,
 * hold it in quarantine on error findings (unless a person released it), match the Patient,
 * map, merge with the stored ImagingStudy (elements the bridge does not own survive) and
 * write only when something changed. A study with nothing left, or rejected by a person,
 * becomes entered-in-error. Every finding is recorded; none is silent.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Logger } from 'pino';
import { statusOf, type FhirClient } from '../../fhir/client/index.js';
import type { FhirResource } from '../../fhir/types.js';
import type { DicomJson } from '../../dicom/types.js';
import { mapImagingStudy, mapPatient, mergeImagingStudy, type ImagingStudy, type Patient, type Reference } from '../mapping/index.js';
import { normalizeStudy, type Finding } from '../normalize/index.js';
import { identifierToken, matchPatient } from '../patients/patient-matcher.js';
import type { QuarantineStore } from '../quarantine/quarantine-store.js';
import type { CapabilityMonitor } from './capability-monitor.js';
import { sourceSettings, type BridgeConfig } from './config.js';
import { KeyedLock } from './keyed-lock.js';
import { ensureEndpoint, findImagingStudy, writeStudy, WriteRace, type StudyWrite } from './fhir-writes.js';
import { loadStudyInstances } from './study-instances.js';
import { findingsOf, InvalidResourceError, validateBeforeWrite } from './validate-before-write.js';
import { RetryLater } from './failures.js';
import { planSrResults, writeSrResults, type SrPlan } from './sr-results.js';

export type SyncOutcome =
  | { kind: 'written'; id: string; versionId?: string; instances: number }
  | { kind: 'unchanged'; id: string; instances: number }
  | { kind: 'quarantined'; reasons: Finding[] }
  | { kind: 'retired'; id?: string }
  | { kind: 'rejected'; id?: string };

export interface StudySyncPorts {
  /** The archive index database (instances, quarantine, findings). */
  db: Database;
  client: FhirClient;
  quarantine: QuarantineStore;
  capabilities: CapabilityMonitor;
  config: BridgeConfig;
  /** Our DICOMweb base URL (publicUrl + /dicomweb), for the Endpoint. */
  dicomWebBase: string;
  /** The data-quality log channel. */
  dataQualityLog: Logger;
}

const MAX_RACES = 4;

export class StudySync {
  private endpoint: Promise<Reference> | undefined;
  private readonly patients = new KeyedLock();

  constructor(private readonly ports: StudySyncPorts) {}

  async sync(studyUid: string): Promise<SyncOutcome> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(studyUid);
      } catch (e) {
        // Someone else wrote between our read and our write: read again and merge again.
        const race = e instanceof WriteRace || statusOf(e) === 412;
        if (!race || attempt >= MAX_RACES) throw e;
      }
    }
  }

  private async once(studyUid: string): Promise<SyncOutcome> {
    const { db, quarantine, config } = this.ports;
    const decision = quarantine.get(studyUid);
    if (decision?.state === 'rejected') return { kind: 'rejected', ...(await this.retire(studyUid)) };
    const stored = loadStudyInstances(db, studyUid);
    if (stored.length === 0) {
      quarantine.clearHold(studyUid);
      return { kind: 'retired', ...(await this.retire(studyUid)) };
    }
    const source = stored[0]!.source;
    const settings = sourceSettings(config, source);
    const normalized = normalizeStudy(stored.map((s) => s.json), { profile: settings, source: { aeTitle: source } });
    const override = decision?.state === 'released';
    const findings = normalized.findings;
    if (normalized.quarantine && !override) return this.hold(studyUid, findings);

    const header = mapPatient(normalized.instances[0]!, { issuerSystems: config.issuerSystems, defaultPatientSystem: settings.defaultPatientSystem });
    return this.patients.run(identifierToken(header), () => this.linkAndWrite(studyUid, normalized.instances, findings, header, settings, override));
  }

  /** Patient matching through the write, one study of a patient at a time. */
  private async linkAndWrite(studyUid: string, normalized: DicomJson[], normalizeFindings: Finding[], header: Patient, settings: ReturnType<typeof sourceSettings>, override: boolean): Promise<SyncOutcome> {
    const { client, quarantine, config } = this.ports;
    let findings = normalizeFindings;
    const match = await matchPatient(client, header, { policy: config.patientPolicy, mismatchSeverity: config.demographicMismatchSeverity });
    findings = [...findings, ...match.findings];
    // Several matches or an unknown patient under require-existing: no override can pick a patient.
    if (match.kind === 'hold' || (!override && match.findings.some((f) => f.severity === 'error'))) return this.hold(studyUid, findings);

    const caps = await this.ports.capabilities.ensure();
    const endpointRef = await this.endpointRef();
    const patientUrn = `urn:uuid:${randomUUID()}`;
    const patientRef: Reference = match.kind === 'create' ? { reference: patientUrn } : { reference: `Patient/${match.patient.id}` };
    const mapped = mapImagingStudy(normalized, {
      patientRef,
      endpointRef,
      issuerSystems: config.issuerSystems,
      defaultPatientSystem: settings.defaultPatientSystem,
      ...(settings.accessionSystem ? { accessionSystem: settings.accessionSystem } : {}),
      timezone: settings.timezone,
      status: 'available',
    });
    const sr = planSrResults(normalized);
    findings = [...findings, ...mapped.findings, ...sr.findings];
    this.record(studyUid, findings);

    const existing = await findImagingStudy(client, studyUid);
    const { resource, changed } = mergeImagingStudy(existing, mapped.imagingStudy);
    const instances = resource.numberOfInstances ?? 0;
    const write: StudyWrite = { studyUid, imagingStudy: resource };
    if (existing) write.existing = existing;
    if (match.kind === 'create') write.createPatient = { resource: match.patient, identifier: match.identifier, fullUrl: patientUrn };
    if (match.kind === 'linked' && match.update) write.updatePatient = match.update;
    quarantine.clearHold(studyUid);
    if (existing && !changed && !write.updatePatient && !write.createPatient) {
      await this.srResults(studyUid, sr, findings, caps.transaction, settings.timezone);
      return { kind: 'unchanged', id: existing.id!, instances };
    }
    this.validate(studyUid, findings, [resource as unknown as FhirResource, ...(write.createPatient ? [write.createPatient.resource] : []), ...(write.updatePatient ? [write.updatePatient] : [])]);
    const written = await writeStudy(client, write, caps.transaction);
    await this.srResults(studyUid, sr, findings, caps.transaction, settings.timezone);
    return { kind: 'written', ...written, instances };
  }

  /** The study's TID 1500 reports as AI results (sr-results.ts), after its ImagingStudy; their findings join the study's. */
  private async srResults(studyUid: string, sr: SrPlan, findings: Finding[], transaction: boolean, timezone: string): Promise<void> {
    if (sr.reports.length === 0) return;
    try {
      const more = await writeSrResults(sr.reports, { client: this.ports.client, studyUid, transaction, timezone });
      if (more.length) this.record(studyUid, [...findings, ...more]);
    } catch (e) {
      if (e instanceof RetryLater) this.record(studyUid, [...findings, ...e.findings]);
      throw e;
    }
  }

  /** Nothing invalid is written: the study becomes a dead letter, its findings name the elements (validate-before-write.ts). */
  private validate(studyUid: string, findings: Finding[], resources: FhirResource[]): void {
    try {
      validateBeforeWrite(resources);
    } catch (e) {
      if (e instanceof InvalidResourceError) this.record(studyUid, [...findings, ...findingsOf(e)]);
      throw e;
    }
  }

  private hold(studyUid: string, findings: Finding[]): SyncOutcome {
    const reasons = findings.filter((f) => f.severity === 'error');
    this.record(studyUid, findings);
    this.ports.quarantine.hold(studyUid, reasons);
    this.ports.dataQualityLog.warn({ studyUid, reasons: reasons.map((r) => ({ rule: r.rule, tag: r.tag })) }, 'study held in quarantine');
    return { kind: 'quarantined', reasons };
  }

  /** Findings are stored with their values; the log says only which rules fired (values may be PHI). */
  private record(studyUid: string, findings: Finding[]): void {
    this.ports.quarantine.recordFindings(studyUid, findings);
    if (findings.length === 0) return;
    const bySeverity: Record<string, number> = {};
    for (const f of findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
    this.ports.dataQualityLog.info({ studyUid, findings: bySeverity, rules: [...new Set(findings.map((f) => f.rule))] }, 'data-quality findings recorded');
  }

  /** Nothing of the study is left (or a person rejected it): its ImagingStudy, if any, becomes entered-in-error. */
  private async retire(studyUid: string): Promise<{ id?: string }> {
    const existing = await findImagingStudy(this.ports.client, studyUid);
    if (!existing) return {};
    if (existing.status === 'entered-in-error') return { id: existing.id! };
    const retired: ImagingStudy = { ...existing, status: 'entered-in-error', numberOfSeries: 0, numberOfInstances: 0 };
    delete retired.series;
    validateBeforeWrite([retired as unknown as FhirResource]);
    await this.ports.client.update(retired as unknown as FhirResource, { ifMatch: existing.meta ? (existing.meta as { versionId?: string }).versionId : undefined });
    return { id: existing.id! };
  }

  private endpointRef(): Promise<Reference> {
    this.endpoint ??= ensureEndpoint(this.ports.client, this.ports.dicomWebBase).catch((e: unknown) => {
      this.endpoint = undefined;
      throw e;
    });
    return this.endpoint;
  }
}
