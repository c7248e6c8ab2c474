/**
 * AI results → one FHIR R4 transaction (IHE AIR / DICOM SR TID 1500 → FHIR, adapted to R4): a
 * Device for the algorithm (created once per name and version), one Observation per finding,
 * a preliminary DiagnosticReport over them, and a Provenance. Pure: time and ids are arguments.
 */
import { AI_RESULT_TAG } from '../context/imaging.js';
import type { Bundle, BundleEntry, FhirResource } from '../fhir/types.js';
import type { AiResultInput, CodeInput, FindingInput } from './input.js';

export const MODEL_SYSTEM = 'urn:imaging-bridge:ai-model';
export const TRACKING_SYSTEM = 'urn:imaging-bridge:tracking-id';
/** Codes with no standard one we could check here (◐): confidence, series and instance UIDs. */
export const AI_CODE_SYSTEM = 'urn:imaging-bridge:ai';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const LATERALITY: Record<string, { code: string; display: string }> = {
  left: { code: '7771000', display: 'Left' },
  right: { code: '24028007', display: 'Right' },
  bilateral: { code: '51440002', display: 'Right and left' },
};

export interface ImagingStudyRef {
  id: string;
  subject: { reference: string };
}

export interface BuiltTransaction {
  bundle: Bundle;
  /** Entry index of the DiagnosticReport in the bundle (and so in the response). */
  reportIndex: number;
}

function concept(c: CodeInput | string): Record<string, unknown> {
  if (typeof c === 'string') return { text: c };
  const coding = c.code ? [{ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) }] : [];
  const text = c.text ?? c.display;
  return { ...(coding.length ? { coding } : {}), ...(text ? { text } : {}) };
}

const component = (code: string, display: string, value: Record<string, unknown>) => ({ code: { coding: [{ system: AI_CODE_SYSTEM, code, display }], text: display }, ...value });

function observation(f: FindingInput, o: { study: ImagingStudyRef; device: { reference: string; display: string }; at: string }): FhirResource {
  const components: Record<string, unknown>[] = [];
  if (f.confidence !== undefined) components.push(component('confidence', 'Confidence', { valueQuantity: { value: f.confidence, unit: 'probability', system: UCUM, code: '1' } }));
  if (f.laterality) components.push({ code: { coding: [{ system: SNOMED, code: '272741003', display: 'Laterality' }], text: 'Laterality' }, valueCodeableConcept: { coding: [{ system: SNOMED, ...LATERALITY[f.laterality] }], text: f.laterality } });
  if (f.seriesUid) components.push(component('series-uid', 'Series Instance UID', { valueString: f.seriesUid }));
  for (const uid of f.instanceUids ?? []) components.push(component('sop-instance-uid', 'SOP Instance UID', { valueString: uid }));
  return {
    resourceType: 'Observation',
    meta: { tag: [AI_RESULT_TAG] },
    ...(f.trackingId ? { identifier: [{ system: TRACKING_SYSTEM, type: { text: 'Tracking Identifier' }, value: f.trackingId }] } : {}),
    partOf: [{ reference: `ImagingStudy/${o.study.id}` }],
    status: 'preliminary',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' }] }],
    code: concept(f.code),
    subject: o.study.subject,
    effectiveDateTime: o.at,
    issued: o.at,
    ...(f.measurement ? { valueQuantity: { value: f.measurement.value, unit: f.measurement.unit, system: UCUM, code: f.measurement.unit } } : {}),
    ...(f.bodySite ? { bodySite: concept(f.bodySite) } : {}),
    device: o.device,
    derivedFrom: [{ reference: `ImagingStudy/${o.study.id}` }],
    ...(components.length ? { component: components } : {}),
  };
}

export function buildAiTransaction(input: AiResultInput, study: ImagingStudyRef, o: { now: number; uuid: () => string }): BuiltTransaction {
  const at = new Date(o.now).toISOString();
  const { name, version, manufacturer, ...other } = input.model;
  const modelKey = `${name}@${version}`;
  const deviceUrl = `urn:uuid:${o.uuid()}`;
  const display = `${name} ${version}`;
  const extra = Object.entries(other).map(([k, v]) => `${k}: ${String(v)}`);
  const device: BundleEntry = {
    fullUrl: deviceUrl,
    resource: {
      resourceType: 'Device',
      identifier: [{ system: MODEL_SYSTEM, value: modelKey }],
      status: 'active',
      ...(manufacturer ? { manufacturer } : {}),
      deviceName: [{ name, type: 'model-name' }],
      type: { text: 'AI algorithm' },
      version: [{ value: version }],
      ...(extra.length ? { note: [{ text: extra.join('; ') }] } : {}),
    },
    request: { method: 'POST', url: 'Device', ifNoneExist: `identifier=${encodeURIComponent(`${MODEL_SYSTEM}|${modelKey}`)}` },
  };
  const observations: BundleEntry[] = input.findings.map((f) => ({
    fullUrl: `urn:uuid:${o.uuid()}`,
    resource: observation(f, { study, device: { reference: deviceUrl, display }, at }),
    request: { method: 'POST', url: 'Observation' },
  }));
  const reportUrl = `urn:uuid:${o.uuid()}`;
  const report: BundleEntry = {
    fullUrl: reportUrl,
    resource: {
      resourceType: 'DiagnosticReport',
      meta: { tag: [AI_RESULT_TAG] },
      status: 'preliminary',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' }], text: `AI result: ${display}` },
      subject: study.subject,
      effectiveDateTime: at,
      issued: at,
      imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
      result: observations.map((e) => ({ reference: e.fullUrl! })),
      ...(input.conclusion ? { conclusion: input.conclusion } : {}),
    },
    request: { method: 'POST', url: 'DiagnosticReport' },
  };
  const provenance: BundleEntry = {
    fullUrl: `urn:uuid:${o.uuid()}`,
    resource: {
      resourceType: 'Provenance',
      target: [{ reference: reportUrl }, ...observations.map((e) => ({ reference: e.fullUrl! }))],
      recorded: at,
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }] },
      agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'performer', display: 'Performer' }] }, who: { reference: deviceUrl, display } }],
      entity: [{ role: 'source', what: { reference: `ImagingStudy/${study.id}` } }],
    },
    request: { method: 'POST', url: 'Provenance' },
  };
  return { bundle: { resourceType: 'Bundle', type: 'transaction', entry: [device, ...observations, report, provenance] }, reportIndex: 1 + observations.length };
}
