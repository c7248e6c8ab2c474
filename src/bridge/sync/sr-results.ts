/**
 * DICOM SR TID 1500 measurement reports of a study → the FHIR shape of POST /api/ai-results
 * (Device, BodyStructures, Observations, DiagnosticReport, Provenance), written by the study
 * sync after the ImagingStudy. Idempotent: the DiagnosticReport carries the SR's SOP Instance
 * UID (urn:dicom:uid|urn:oid:…) and an SR already written is skipped (conditional create as a
 * second guard). Nothing is dropped silently and nothing here stops the ImagingStudy: an SR
 * that cannot be used becomes a data-quality finding; a report whose ImagingStudy is not in
 * FHIR yet makes the sync retry later (RetryLater, with the outbox's backoff).
 */
import { randomUUID } from 'node:crypto';
import { buildAiTransaction } from '../../ai-results/build.js';
import { readTid1500, type SrReading } from '../../ai-results/sr/index.js';
import type { DicomJson } from '../../dicom/types.js';
import { FhirServerError, type FhirClient } from '../../fhir/client/index.js';
import type { FhirResource } from '../../fhir/types.js';
import { fhirDateTime, fhirOffset } from '../mapping/date-time.js';
import { DICOM_UID_SYSTEM, urnOid } from '../mapping/index.js';
import type { Finding, FindingSource } from '../normalize/index.js';
import { findImagingStudy } from './fhir-writes.js';
import { describeFailure, isTransient, RetryLater } from './failures.js';
import { InvalidResourceError, validateBeforeWrite } from './validate-before-write.js';

export const SR_RULE = 'sr-tid1500';
const CONTENT = '0040A730';
const TEMPLATE = '0040A504';

export type SrReport = Extract<SrReading, { kind: 'report' }>;

export interface SrPlan {
  reports: SrReport[];
  /** Findings of reading: SRs of other templates (info), unusable TID 1500 reports (warning), small problems (info). */
  findings: Finding[];
}

/** Pure: the TID 1500 reports among a study's instances, and what was found reading them. */
export function planSrResults(instances: DicomJson[], source?: FindingSource): SrPlan {
  const plan: SrPlan = { reports: [], findings: [] };
  const finding = (
    severity: Finding['severity'],
    tag: string,
    sopInstanceUid: string,
    message: string,
    original: unknown = null,
  ): Finding => ({
    rule: SR_RULE,
    severity,
    tag,
    original,
    message,
    ...(sopInstanceUid ? { sopInstanceUid } : {}),
    ...(source ? { source } : {}),
  });
  for (const json of instances) {
    const r = readTid1500(json);
    if (r.kind === 'not-sr') continue;
    if (r.kind === 'other') plan.findings.push(finding('info', TEMPLATE, r.sopInstanceUid, r.reason));
    else if (r.kind === 'invalid') {
      plan.findings.push(
        finding('warning', CONTENT, r.sopInstanceUid, `TID 1500 report not turned into FHIR results: ${r.reason}`),
      );
      for (const n of r.notes) plan.findings.push(finding('info', CONTENT, r.sopInstanceUid, n));
    } else {
      plan.reports.push(r);
      for (const n of r.notes) plan.findings.push(finding('info', CONTENT, r.sopInstanceUid, n));
    }
  }
  return plan;
}

export interface SrWriteContext {
  client: FhirClient;
  /** The study being synced (its ImagingStudy was just written or found unchanged). */
  studyUid: string;
  /** The target accepts transaction Bundles (the results are written all or nothing). */
  transaction: boolean;
  /** For SR content times without TimezoneOffsetFromUTC. */
  timezone: string;
  source?: FindingSource;
  now?: () => number;
}

export const reportIdentifier = (sopInstanceUid: string): string => `${DICOM_UID_SYSTEM}|${urnOid(sopInstanceUid)}`;

/**
 * Writes each report not yet in FHIR. Returns the findings of writing (never throws for a
 * problem of one SR); throws RetryLater when a report's ImagingStudy is not in FHIR yet (after
 * writing the others), and rethrows transient FHIR failures (the worker retries the sync).
 */
export async function writeSrResults(reports: SrReport[], ctx: SrWriteContext): Promise<Finding[]> {
  const findings: Finding[] = [];
  const pending: string[] = [];
  const warn = (r: SrReport, message: string) =>
    findings.push({
      rule: SR_RULE,
      severity: 'warning',
      tag: CONTENT,
      original: null,
      message,
      sopInstanceUid: r.sopInstanceUid,
      ...(ctx.source ? { source: ctx.source } : {}),
    });
  if (reports.length === 0) return findings;
  const own = await findImagingStudy(ctx.client, ctx.studyUid);
  for (const r of reports) {
    const done = await ctx.client.searchAll(
      'DiagnosticReport',
      { identifier: reportIdentifier(r.sopInstanceUid) },
      { maxResources: 1, maxPages: 1 },
    );
    if (done.length) continue;
    if (!ctx.transaction) {
      warn(
        r,
        'TID 1500 report not written: the FHIR target does not accept transactions, and the results are written all or nothing',
      );
      continue;
    }
    const targetUid = r.input.studyInstanceUid;
    const study = targetUid === ctx.studyUid ? own : await findImagingStudy(ctx.client, targetUid);
    const subject = (study?.subject as { reference?: string } | undefined)?.reference;
    if (!study?.id || !subject || /^urn:/.test(subject)) {
      const why = `TID 1500 report waits: its study ${targetUid} has no ImagingStudy in FHIR yet; the sync retries until it has`;
      warn(r, why);
      pending.push(`SR ${r.sopInstanceUid}: ${why}`);
      continue;
    }
    const ownSubject = (own?.subject as { reference?: string } | undefined)?.reference;
    if (targetUid !== ctx.studyUid && ownSubject && ownSubject !== subject) {
      warn(
        r,
        `TID 1500 report not written: it refers to study ${targetUid} of another patient (${subject}) than its own study (${ownSubject})`,
      );
      continue;
    }
    const effective = fhirDateTime(r.content.date, r.content.time, fhirOffset(r.content.offset), ctx.timezone);
    const { bundle } = buildAiTransaction(
      r.input,
      { id: study.id, subject: { reference: subject } },
      {
        now: (ctx.now ?? Date.now)(),
        uuid: randomUUID,
        source: { sopInstanceUid: r.sopInstanceUid, ...(effective ? { effective } : {}) },
      },
    );
    try {
      validateBeforeWrite(bundle.entry!.map((e) => e.resource as FhirResource));
      await ctx.client.transaction(bundle);
    } catch (e) {
      if (isTransient(e)) throw e;
      if (!(e instanceof InvalidResourceError) && !(e instanceof FhirServerError)) throw e;
      warn(r, `TID 1500 report not written: ${describeFailure(e)}`);
    }
  }
  if (pending.length) throw new RetryLater(pending.join('; '), findings);
  return findings;
}
