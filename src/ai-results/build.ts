/**
 * AI results → one FHIR R4 transaction (IHE AIR / DICOM SR TID 1500 → FHIR, adapted to R4): a
 * Device for the algorithm (created once per name and version), a BodyStructure per tracked
 * lesion (created once per patient and tracking id / UID, so later studies find it again), one
 * Observation per finding (focus: its BodyStructure), a preliminary DiagnosticReport over them,
 * and a Provenance. Pure: time and ids are arguments.
 */
import { AI_RESULT_TAG } from '../context/imaging.js';
import type {
  BodyStructure,
  CodeableConcept,
  Device,
  DiagnosticReport,
  Identifier,
  Observation,
  ObservationComponent,
  Provenance,
} from '@medplum/fhirtypes';
import { openResource, type Bundle, type BundleEntry } from '../fhir/types.js';
import type { AiResultInput, CodeInput, FindingInput } from './input.js';
import { own } from '../core/own.js';

export const MODEL_SYSTEM = 'urn:imaging-bridge:ai-model';
export const TRACKING_SYSTEM = 'urn:imaging-bridge:tracking-id';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
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
  /** Entry indexes of the BodyStructures and of the Observations. */
  bodyStructureIndexes: number[];
  observationIndexes: number[];
}

/** Where the results came from when not from POST /api/ai-results: a DICOM SR instance. */
export interface ResultSource {
  /** The SR's SOP Instance UID: the DiagnosticReport's identifier (urn:oid), written at most once. */
  sopInstanceUid: string;
  /** The SR's content date and time (FHIR dateTime) as effectiveDateTime; else the time of writing. */
  effective?: string;
}

export interface BuildOptions {
  now: number;
  uuid: () => string;
  source?: ResultSource;
}

const dcmType = (code: string, display: string) => ({ coding: [{ system: DCM, code, display }], text: display });

/** The key a lesion is found again by: its Tracking UID when known, else its tracking id. */
function trackingKey(f: FindingInput): { system: string; value: string } | undefined {
  if (f.trackingUid) return { system: DICOM_UID_SYSTEM, value: `urn:oid:${f.trackingUid}` };
  if (f.trackingId) return { system: TRACKING_SYSTEM, value: f.trackingId };
  return undefined;
}

function trackingIdentifiers(f: FindingInput): Identifier[] {
  return [
    ...(f.trackingId
      ? [{ type: dcmType('112039', 'Tracking Identifier'), system: TRACKING_SYSTEM, value: f.trackingId }]
      : []),
    ...(f.trackingUid
      ? [
          {
            type: dcmType('112040', 'Tracking Unique Identifier'),
            system: DICOM_UID_SYSTEM,
            value: `urn:oid:${f.trackingUid}`,
          },
        ]
      : []),
  ];
}

/** One BodyStructure per tracking key (conditional create on identifier + patient), in the order first seen. */
function bodyStructures(
  findings: FindingInput[],
  study: ImagingStudyRef,
  uuid: () => string,
): Map<string, BundleEntry> {
  const out = new Map<string, BundleEntry>();
  for (const f of findings) {
    const key = trackingKey(f);
    if (!key || out.has(`${key.system}|${key.value}`)) continue;
    const resource: BodyStructure = {
      resourceType: 'BodyStructure',
      identifier: trackingIdentifiers(f),
      active: true,
      ...(f.bodySite ? { location: concept(f.bodySite) } : {}),
      ...(f.laterality
        ? {
            locationQualifier: [{ coding: [{ system: SNOMED, ...own(LATERALITY, f.laterality) }], text: f.laterality }],
          }
        : {}),
      description: `Tracked finding ${f.trackingId ?? f.trackingUid}`,
      patient: study.subject,
    };
    const condition = `identifier=${encodeURIComponent(`${key.system}|${key.value}`)}&patient=${encodeURIComponent(study.subject.reference)}`;
    out.set(`${key.system}|${key.value}`, {
      fullUrl: `urn:uuid:${uuid()}`,
      resource: openResource(resource),
      request: { method: 'POST', url: 'BodyStructure', ifNoneExist: condition },
    });
  }
  return out;
}

function concept(c: CodeInput | string): CodeableConcept {
  if (typeof c === 'string') return { text: c };
  const coding = c.code ? [{ system: c.system, code: c.code, ...(c.display ? { display: c.display } : {}) }] : [];
  const text = c.text ?? c.display;
  return { ...(coding.length ? { coding } : {}), ...(text ? { text } : {}) };
}

const component = (code: string, display: string, value: Omit<ObservationComponent, 'code'>): ObservationComponent => ({
  code: { coding: [{ system: AI_CODE_SYSTEM, code, display }], text: display },
  ...value,
});

function observation(
  f: FindingInput,
  o: {
    study: ImagingStudyRef;
    device: { reference: string; display: string };
    at: string;
    effective: string;
    focus?: string;
  },
): Observation {
  const identifier: Identifier[] = [
    ...(f.trackingId
      ? [{ system: TRACKING_SYSTEM, type: dcmType('112039', 'Tracking Identifier'), value: f.trackingId }]
      : []),
    ...(f.trackingUid
      ? [
          {
            system: DICOM_UID_SYSTEM,
            type: dcmType('112040', 'Tracking Unique Identifier'),
            value: `urn:oid:${f.trackingUid}`,
          },
        ]
      : []),
  ];
  const components: ObservationComponent[] = [];
  if (f.confidence !== undefined)
    components.push(
      component('confidence', 'Confidence', {
        valueQuantity: { value: f.confidence, unit: 'probability', system: UCUM, code: '1' },
      }),
    );
  if (f.laterality)
    components.push({
      code: { coding: [{ system: SNOMED, code: '272741003', display: 'Laterality' }], text: 'Laterality' },
      valueCodeableConcept: { coding: [{ system: SNOMED, ...own(LATERALITY, f.laterality) }], text: f.laterality },
    });
  if (f.seriesUid) components.push(component('series-uid', 'Series Instance UID', { valueString: f.seriesUid }));
  for (const uid of f.instanceUids ?? [])
    components.push(component('sop-instance-uid', 'SOP Instance UID', { valueString: uid }));
  return {
    resourceType: 'Observation',
    meta: { tag: [AI_RESULT_TAG] },
    ...(identifier.length ? { identifier } : {}),
    partOf: [{ reference: `ImagingStudy/${o.study.id}` }],
    status: 'preliminary',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' },
        ],
      },
    ],
    code: concept(f.code),
    subject: o.study.subject,
    ...(o.focus ? { focus: [{ reference: o.focus }] } : {}),
    effectiveDateTime: o.effective,
    issued: o.at,
    ...(f.measurement
      ? {
          valueQuantity: {
            value: f.measurement.value,
            unit: f.measurement.unit,
            system: UCUM,
            code: f.measurement.unit,
          },
        }
      : {}),
    ...(f.bodySite ? { bodySite: concept(f.bodySite) } : {}),
    device: o.device,
    derivedFrom: [{ reference: `ImagingStudy/${o.study.id}` }],
    ...(components.length ? { component: components } : {}),
  };
}

export function buildAiTransaction(input: AiResultInput, study: ImagingStudyRef, o: BuildOptions): BuiltTransaction {
  const at = new Date(o.now).toISOString();
  const effective = o.source?.effective ?? at;
  const { name, version, manufacturer, ...other } = input.model;
  const modelKey = `${name}@${version}`;
  const deviceUrl = `urn:uuid:${o.uuid()}`;
  const display = `${name} ${version}`;
  const extra = Object.entries(other).map(([k, v]) => `${k}: ${String(v)}`);
  const deviceResource: Device = {
    resourceType: 'Device',
    identifier: [{ system: MODEL_SYSTEM, value: modelKey }],
    status: 'active',
    ...(manufacturer ? { manufacturer } : {}),
    deviceName: [{ name, type: 'model-name' }],
    type: { text: 'AI algorithm' },
    version: [{ value: version }],
    ...(extra.length ? { note: [{ text: extra.join('; ') }] } : {}),
  };
  const device: BundleEntry = {
    fullUrl: deviceUrl,
    resource: openResource(deviceResource),
    request: {
      method: 'POST',
      url: 'Device',
      ifNoneExist: `identifier=${encodeURIComponent(`${MODEL_SYSTEM}|${modelKey}`)}`,
    },
  };
  const lesions = bodyStructures(input.findings, study, o.uuid);
  const observations: BundleEntry[] = input.findings.map((f) => {
    const key = trackingKey(f);
    const focus = key ? lesions.get(`${key.system}|${key.value}`)?.fullUrl : undefined;
    return {
      fullUrl: `urn:uuid:${o.uuid()}`,
      resource: openResource(
        observation(f, {
          study,
          device: { reference: deviceUrl, display },
          at,
          effective,
          ...(focus ? { focus } : {}),
        }),
      ),
      request: { method: 'POST', url: 'Observation' },
    };
  });
  const reportUrl = `urn:uuid:${o.uuid()}`;
  const reportResource: DiagnosticReport = {
    resourceType: 'DiagnosticReport',
    meta: { tag: [AI_RESULT_TAG] },
    ...(o.source
      ? {
          identifier: [
            {
              system: DICOM_UID_SYSTEM,
              type: { text: 'SOP Instance UID of the DICOM SR' },
              value: `urn:oid:${o.source.sopInstanceUid}`,
            },
          ],
        }
      : {}),
    status: 'preliminary',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' }] },
    ],
    code: {
      coding: [{ system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' }],
      text: `AI result: ${display}`,
    },
    subject: study.subject,
    effectiveDateTime: effective,
    issued: at,
    imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
    result: observations.map((e) => ({ reference: e.fullUrl! })),
    ...(input.conclusion ? { conclusion: input.conclusion } : {}),
  };
  const report: BundleEntry = {
    fullUrl: reportUrl,
    resource: openResource(reportResource),
    request: {
      method: 'POST',
      url: 'DiagnosticReport',
      ...(o.source
        ? { ifNoneExist: `identifier=${encodeURIComponent(`${DICOM_UID_SYSTEM}|urn:oid:${o.source.sopInstanceUid}`)}` }
        : {}),
    },
  };
  const provenanceResource: Provenance = {
    resourceType: 'Provenance',
    target: [{ reference: reportUrl }, ...observations.map((e) => ({ reference: e.fullUrl! }))],
    recorded: at,
    activity: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'CREATE', display: 'create' }],
    },
    agent: [
      {
        type: {
          coding: [
            {
              system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type',
              code: 'performer',
              display: 'Performer',
            },
          ],
        },
        who: { reference: deviceUrl, display },
      },
    ],
    entity: [
      { role: 'source', what: { reference: `ImagingStudy/${study.id}` } },
      ...(o.source
        ? [
            {
              role: 'source' as const,
              what: {
                identifier: { system: DICOM_UID_SYSTEM, value: `urn:oid:${o.source.sopInstanceUid}` },
                display: 'DICOM SR measurement report (TID 1500)',
              },
            },
          ]
        : []),
    ],
  };
  const provenance: BundleEntry = {
    fullUrl: `urn:uuid:${o.uuid()}`,
    resource: openResource(provenanceResource),
    request: { method: 'POST', url: 'Provenance' },
  };
  const structures = [...lesions.values()];
  const first = 1 + structures.length;
  return {
    bundle: {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [device, ...structures, ...observations, report, provenance],
    },
    reportIndex: first + observations.length,
    bodyStructureIndexes: structures.map((_, i) => 1 + i),
    observationIndexes: observations.map((_, i) => first + i),
  };
}
