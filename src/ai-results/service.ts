/**
 * AI results write-back: validates the body, finds the ImagingStudy by its StudyInstanceUID,
 * checks what the caller may write, and sends one transaction (all written, or nothing).
 */
import { randomUUID } from 'node:crypto';
import type { Reference } from '@medplum/fhirtypes';
import type { AccessPolicy } from '../fhir/access/access-policy.js';
import { FhirServerError, type FhirClient } from '../fhir/client/index.js';
import { forbidden, OperationOutcomeError, unprocessable } from '../core/errors.js';
import type { Bundle, OperationOutcome } from '../fhir/types.js';
import { buildAiTransaction } from './build.js';
import { parseAiResult } from './input.js';

export interface AiResultsOptions {
  /** Our own FHIR server (where the bridge writes ImagingStudies). */
  fhir: FhirClient;
  now?: () => number;
}

export interface AiResultWritten {
  diagnosticReportId: string;
  /** `DiagnosticReport/<id>`, and the same for each written resource. */
  diagnosticReport: string;
  observations: string[];
  /** `BodyStructure/<id>` of each tracked lesion (new or found again by its tracking id / UID). */
  bodyStructures: string[];
  device: string;
  provenance: string;
}

const WRITES = ['Device', 'Observation', 'DiagnosticReport', 'Provenance'];
const typeId = (location: string | undefined): string | undefined =>
  location?.match(/([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/)?.[1];

export class AiResultsService {
  private readonly now: () => number;

  constructor(private readonly o: AiResultsOptions) {
    this.now = o.now ?? Date.now;
  }

  async submit(body: unknown, policy: AccessPolicy): Promise<AiResultWritten> {
    const input = parseAiResult(body);
    const writes = input.findings.some((f) => f.trackingId || f.trackingUid) ? [...WRITES, 'BodyStructure'] : WRITES;
    const denied = writes.filter((t) => !policy.canWrite(t));
    if (denied.length) throw forbidden(`${policy.description}: may not write ${denied.join(', ')}`);
    const studies = await this.o.fhir.searchAll(
      'ImagingStudy',
      { identifier: `urn:dicom:uid|urn:oid:${input.studyInstanceUid}` },
      { maxResources: 2, maxPages: 1 },
    );
    if (studies.length === 0) {
      throw unprocessable(
        `no ImagingStudy has StudyInstanceUID ${input.studyInstanceUid}: store the study (STOW-RS or C-STORE) and let the bridge sync it first`,
        'studyInstanceUid',
      );
    }
    if (studies.length > 1)
      throw unprocessable(
        `more than one ImagingStudy has StudyInstanceUID ${input.studyInstanceUid}`,
        'studyInstanceUid',
      );
    const study = studies[0];
    // Our own server's ImagingStudy (validated when written); the subject is still checked below.
    const subject: Reference | undefined = study.subject;
    const patientId = subject?.reference?.match(/Patient\/([^/]+)$/)?.[1];
    if (!subject?.reference)
      throw unprocessable('the ImagingStudy has no subject to write the results for', 'studyInstanceUid');
    if (patientId && !policy.canSeePatient(patientId))
      throw forbidden(`${policy.description}: this patient is outside the caller's compartment`);
    if (!policy.canSee(study)) throw forbidden(`${policy.description}: may not see this ImagingStudy`);
    const seriesUids = new Set((study.series ?? []).map((s) => s.uid));
    const unknownSeries = input.findings
      .map((f, i) => [f.seriesUid, i] as const)
      .filter(([uid]) => uid && seriesUids.size && !seriesUids.has(uid));
    if (unknownSeries.length)
      throw unprocessable(
        `findings[${unknownSeries[0][1]}].seriesUid is not a series of this study`,
        `findings[${unknownSeries[0][1]}].seriesUid`,
      );

    const { bundle, reportIndex, observationIndexes, bodyStructureIndexes } = buildAiTransaction(
      input,
      { id: study.id!, subject: { reference: subject.reference } },
      { now: this.now(), uuid: randomUUID },
    );
    let response: Bundle;
    try {
      response = await this.o.fhir.transaction(bundle);
    } catch (e) {
      // The server refused the transaction (e.g. validation): nothing was written; say why.
      if (e instanceof FhirServerError && e.status >= 400 && e.status < 500)
        throw new OperationOutcomeError(e.status === 400 ? 400 : 422, e.outcome as OperationOutcome);
      throw e;
    }
    // A conditional create that found its resource (a lesion seen before) answers 200 without a
    // location: the resource it returns names it.
    const ids = (response.entry ?? []).map(
      (e) =>
        typeId(e.response?.location) ??
        typeId(e.fullUrl) ??
        (e.resource?.id ? `${e.resource.resourceType}/${e.resource.id}` : undefined),
    );
    const report = ids[reportIndex];
    if (!report) throw new Error('the transaction response does not say where the DiagnosticReport is');
    return {
      diagnosticReportId: report.split('/')[1],
      diagnosticReport: report,
      observations: observationIndexes.map((i) => ids[i]).filter((x): x is string => !!x),
      bodyStructures: bodyStructureIndexes.map((i) => ids[i]).filter((x): x is string => !!x),
      device: ids[0]!,
      provenance: ids[reportIndex + 1]!,
    };
  }
}
