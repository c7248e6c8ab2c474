/**
 * An assessment as FHIR R4 resources (docs/stroke.md, "Persisted"): one DetectedIssue per present
 * or unknown factor (implicated = the evidence, detail = the reason, severity from the tier) and
 * one List that groups the run. Ids are derived from the study, so a re-run replaces the previous
 * run in one transaction: its DetectedIssues are updated in place, those of factors no longer
 * present or unknown are deleted. Pure.
 */
import { createHash } from 'node:crypto';
import type { Bundle, BundleEntry, DetectedIssue, List, Resource } from '@medplum/fhirtypes';
import type { StrokeAssessment } from './answer.js';
import { FACTOR_IDS, type Factor } from '../../clinical/stroke/index.js';

export const STROKE_SYSTEM = 'https://imaging-bridge.example/fhir/CodeSystem/stroke';
export const RUN_CODE = 'thrombolysis-check';
const DICOM_UID = 'urn:dicom:uid';

/** Ids of a study's run: `stroke-<16 hex of the UID>` for the List, `…-<factor>` for its DetectedIssues. */
export function runIds(studyUid: string): { list: string; issue: (factor: string) => string } {
  const key = createHash('sha256').update(studyUid).digest('hex').slice(0, 16);
  return { list: `stroke-${key}`, issue: (factor) => `stroke-${key}-${factor}` };
}

const SEVERITY = new Map<string, DetectedIssue['severity']>([
  ['absolute', 'high'],
  ['contraindicated', 'high'],
  ['relative', 'moderate'],
  ['harmful', 'moderate'],
]);

export interface PersistOptions {
  /** Our Patient (the study's subject) as a reference. */
  patient: string;
  /** The ImagingStudy on our server. */
  study: string;
  /** Base of the clinical server when it is not ours: evidence references become absolute. */
  clinicalBase?: string;
}

const statusConcept = (f: Factor) => ({
  coding: [{ system: `${STROKE_SYSTEM}-status`, code: f.status, display: f.status }],
});

function evidenceRef(reference: string, o: PersistOptions): string {
  if (!o.clinicalBase || reference.startsWith('ImagingStudy/') || reference.startsWith('DiagnosticReport/'))
    return reference;
  return `${o.clinicalBase.replace(/\/+$/, '')}/${reference}`;
}

function detectedIssue(f: Factor, a: StrokeAssessment, id: string, o: PersistOptions): DetectedIssue {
  const refs = [...new Set(f.evidence.map((e) => evidenceRef(e.reference, o)))].map((reference) => ({ reference }));
  return {
    resourceType: 'DetectedIssue',
    id,
    identifier: [{ system: `${STROKE_SYSTEM}-issue`, value: id }],
    // Present is a finding; unknown is a gap to fill before deciding, kept preliminary.
    status: f.status === 'present' ? 'final' : 'preliminary',
    code: {
      coding: [{ system: STROKE_SYSTEM, code: f.id, display: f.label }],
      text: `${f.label}: ${f.status} (${a.guideline} ${f.tier})`,
    },
    severity: SEVERITY.get(f.tier) ?? 'low',
    patient: { reference: o.patient },
    identifiedDateTime: a.generatedAt,
    implicated: [{ reference: o.study }, ...refs],
    evidence: [{ code: [statusConcept(f)], ...(refs.length ? { detail: refs } : {}) }],
    detail: f.reason,
  };
}

export function assessmentBundle(a: StrokeAssessment, o: PersistOptions): Bundle {
  const uid = a.study!.studyInstanceUid;
  const ids = runIds(uid);
  const flagged = a.factors.filter((f) => f.status !== 'absent');
  const issues = flagged.map((f) => detectedIssue(f, a, ids.issue(f.id), o));
  const absent = a.factors.filter((f) => f.status === 'absent').map((f) => f.id);
  const list: List = {
    resourceType: 'List',
    id: ids.list,
    identifier: [{ system: DICOM_UID, value: `urn:oid:${uid}` }],
    status: 'current',
    mode: 'snapshot',
    title: `Thrombolysis contraindication check (${a.guideline})`,
    code: {
      coding: [{ system: STROKE_SYSTEM, code: RUN_CODE, display: 'Stroke thrombolysis contraindication check' }],
    },
    subject: { reference: o.patient },
    date: a.generatedAt,
    note: [
      {
        // readRunNote parses this back (the recent-runs list); keep the two in step.
        text:
          `Reference time ${a.referenceTime} (${a.referenceTimeSource}); ` +
          `present: ${a.present.join(', ') || 'none'}; unknown: ${a.unknown.join(', ') || 'none'}; ` +
          `absent: ${absent.join(', ') || 'none'}; ${a.complete ? 'every source answered' : 'INCOMPLETE: a source failed'}.`,
      },
    ],
    ...(issues.length
      ? { entry: issues.map((i) => ({ item: { reference: `DetectedIssue/${i.id}` } })) }
      : {
          emptyReason: {
            coding: [{ system: 'http://terminology.hl7.org/CodeSystem/list-empty-reason', code: 'nilknown' }],
          },
        }),
  };
  const put = (r: Resource & { id?: string }): BundleEntry => ({
    fullUrl: `${r.resourceType}/${r.id}`,
    resource: r,
    request: { method: 'PUT', url: `${r.resourceType}/${r.id}` },
  });
  const kept = new Set(flagged.map((f) => f.id));
  const deletes: BundleEntry[] = FACTOR_IDS.filter((f) => !kept.has(f)).map((f) => ({
    request: { method: 'DELETE', url: `DetectedIssue/${ids.issue(f)}` },
  }));
  return { resourceType: 'Bundle', type: 'transaction', entry: [...deletes, ...issues.map(put), put(list)] };
}

/** What a run's List says beyond its entries: the guideline (title), reference time and completeness (note). */
export function readRunNote(list: List): {
  guideline?: string;
  referenceTime?: string;
  referenceTimeSource?: string;
  complete: boolean;
} {
  const note = list.note?.[0]?.text ?? '';
  const ref = /^Reference time (\S+) \(([a-z-]+)\);/.exec(note);
  const guideline = /\((aha-\d{4})\)$/.exec(list.title ?? '')?.[1];
  return {
    ...(guideline ? { guideline } : {}),
    ...(ref ? { referenceTime: ref[1], referenceTimeSource: ref[2] } : {}),
    complete: !note.includes('INCOMPLETE'),
  };
}
