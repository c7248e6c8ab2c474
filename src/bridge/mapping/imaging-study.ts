/**
 * mapImagingStudy: all (already normalized) instances of one study → the ImagingStudy the
 * bridge owns, plus the data-quality findings the mapping itself raised. Pure and
 * deterministic: series and instances sorted by number then UID, lists de-duplicated,
 * absent DICOM data left absent.
 */
import type { DicomJson } from '../../dicom/types.js';
import type { Finding } from '../normalize/types.js';
import { conceptsOfSequence, type MappedConcept } from './coding.js';
import { deepEqual } from './deep-equal.js';
import { firstOf, int, items, personNames, str, TAG } from './dicom-read.js';
import type {
  CodeableConcept,
  Endpoint,
  Identifier,
  ImagingStudy,
  ImagingStudySeries,
  ImagingStudyStatus,
  Patient,
  Practitioner,
  Reference,
} from './fhir-types.js';
import { issuerSystem } from './issuer.js';
import { displayName } from './person-name.js';
import { byNumberThenUid, mapSeries } from './series.js';
import { studyStarted } from './study-started.js';
import { DCM_SYSTEM, DICOM_UID_SYSTEM, urnOid, V2_0203_SYSTEM } from './systems.js';

export interface ImagingStudyContext {
  /** The matched Patient (patient matching happens before mapping). */
  patientRef: Reference<Patient>;
  /** The Endpoint of the DICOMweb service holding the images. */
  endpointRef?: Reference<Endpoint>;
  /** Issuer (local namespace or universal entity id) → identifier system URI. */
  issuerSystems: Record<string, string>;
  defaultPatientSystem: string;
  /** System for accession numbers whose issuer is absent or not configured. */
  accessionSystem?: string;
  /** The source's IANA zone or ±hhmm, for times without TimezoneOffsetFromUTC. */
  timezone: string;
  status: ImagingStudyStatus;
  /** Extra CodingSchemeDesignator → system URI (e.g. local `99XYZ` schemes). */
  codingSchemes?: Record<string, string>;
}

export interface MappedImagingStudy {
  imagingStudy: ImagingStudy;
  findings: Finding[];
}

const sortKey = (json: DicomJson) => ({
  number: int(json, TAG.InstanceNumber),
  uid: str(json, TAG.SOPInstanceUID) ?? '',
});

function groupSeries(instances: DicomJson[]): DicomJson[][] {
  const bySeries = new Map<string, DicomJson[]>();
  for (const json of instances) {
    const uid = str(json, TAG.SeriesInstanceUID);
    if (uid === undefined || str(json, TAG.SOPInstanceUID) === undefined) continue;
    bySeries.get(uid)?.push(json) ?? bySeries.set(uid, [json]);
  }
  return [...bySeries.values()].map((list) => list.sort((a, b) => byNumberThenUid(sortKey(a), sortKey(b))));
}

function accessionIdentifier(first: DicomJson, ctx: ImagingStudyContext, findings: Finding[]): Identifier | undefined {
  const value = str(first, TAG.AccessionNumber);
  if (!value) return undefined;
  const issuer = items(first, TAG.IssuerOfAccessionNumberSequence)[0];
  const system =
    (issuer &&
      issuerSystem(
        {
          local: str(issuer, TAG.LocalNamespaceEntityID),
          universal: str(issuer, TAG.UniversalEntityID),
          universalType: str(issuer, TAG.UniversalEntityIDType),
        },
        ctx.issuerSystems,
      )) ??
    ctx.accessionSystem;
  if (!system)
    findings.push({
      rule: 'map-accession',
      severity: 'info',
      tag: TAG.AccessionNumber,
      original: value,
      message: 'no issuer system configured for the accession number; identifier has no system',
    });
  const identifier: Identifier = { use: 'usual', type: { coding: [{ system: V2_0203_SYSTEM, code: 'ACSN' }] } };
  if (system) identifier.system = system;
  identifier.value = value;
  return identifier;
}

function uniqueConcepts(mapped: MappedConcept[], findings: Finding[], tag: string): CodeableConcept[] {
  const out: CodeableConcept[] = [];
  for (const m of mapped) {
    if (out.some((c) => deepEqual(c, m.concept))) continue;
    out.push(m.concept);
    if (m.unmappedDesignator !== undefined) {
      findings.push({
        rule: 'map-coding',
        severity: 'info',
        tag,
        original: m.unmappedDesignator,
        message: `coding scheme "${m.unmappedDesignator}" has no known FHIR system; only the meaning was kept`,
      });
    }
  }
  return out;
}

function reasons(instances: DicomJson[], ctx: ImagingStudyContext, findings: Finding[]): CodeableConcept[] {
  const performed = instances.flatMap((j) =>
    conceptsOfSequence(j, TAG.ReasonForPerformedProcedureCodeSequence, ctx.codingSchemes),
  );
  if (performed.length) return uniqueConcepts(performed, findings, TAG.ReasonForPerformedProcedureCodeSequence);
  const requested: MappedConcept[] = [];
  for (const j of instances) {
    for (const holder of [j, ...items(j, TAG.RequestAttributesSequence)]) {
      requested.push(...conceptsOfSequence(holder, TAG.ReasonForRequestedProcedureCodeSequence, ctx.codingSchemes));
      const text = str(holder, TAG.ReasonForTheRequestedProcedure);
      if (text) requested.push({ concept: { text } });
    }
  }
  return uniqueConcepts(requested, findings, TAG.ReasonForTheRequestedProcedure);
}

function physicianDisplays(instances: DicomJson[], tag: string): Reference<Practitioner>[] {
  const names = new Set<string>();
  for (const j of instances)
    for (const pn of personNames(j, tag)) {
      const d = displayName(pn);
      if (d) names.add(d);
    }
  return [...names].map((display) => ({ display }));
}

export function mapImagingStudy(instances: DicomJson[], ctx: ImagingStudyContext): MappedImagingStudy {
  const findings: Finding[] = [];
  const grouped = groupSeries(instances);
  const series: ImagingStudySeries[] = grouped
    .map((list) => mapSeries(list, ctx.timezone, findings))
    .sort(byNumberThenUid);
  const ordered = series.flatMap((s) => grouped.find((g) => str(g[0]!, TAG.SeriesInstanceUID) === s.uid)!);
  const first = ordered[0] ?? instances[0] ?? {};
  const studyUid = firstOf(ordered, (j) => str(j, TAG.StudyInstanceUID));
  if (!studyUid)
    throw new Error('mapImagingStudy: no instance has a StudyInstanceUID (the normalizer quarantines such studies)');

  const study: ImagingStudy = {
    resourceType: 'ImagingStudy',
    identifier: [{ use: 'official', system: DICOM_UID_SYSTEM, value: urnOid(studyUid) }],
    status: ctx.status,
    subject: { ...ctx.patientRef },
  };
  const accession = accessionIdentifier(first, ctx, findings);
  if (accession) study.identifier!.push(accession);
  const modalities = [...new Set(series.map((s) => s.modality.code).filter((c): c is string => !!c))].sort();
  if (modalities.length) study.modality = modalities.map((code) => ({ system: DCM_SYSTEM, code }));
  const started = studyStarted(ordered, ctx.timezone);
  findings.push(...started.findings);
  if (started.started) study.started = started.started;
  if (accession) study.basedOn = [{ type: 'ServiceRequest', identifier: structuredClone(accession) }];
  const referrer = physicianDisplays(ordered, TAG.ReferringPhysicianName)[0];
  if (referrer) study.referrer = referrer;
  const interpreter = physicianDisplays(ordered, TAG.NameOfPhysiciansReadingStudy);
  if (interpreter.length) study.interpreter = interpreter;
  if (ctx.endpointRef) study.endpoint = [{ ...ctx.endpointRef }];
  study.numberOfSeries = series.length;
  study.numberOfInstances = series.reduce((n, s) => n + (s.numberOfInstances ?? 0), 0);
  const procedures = uniqueConcepts(
    ordered.flatMap((j) => conceptsOfSequence(j, TAG.ProcedureCodeSequence, ctx.codingSchemes)),
    findings,
    TAG.ProcedureCodeSequence,
  );
  if (procedures.length) study.procedureCode = procedures;
  const reasonCode = reasons(ordered, ctx, findings);
  if (reasonCode.length) study.reasonCode = reasonCode;
  const description = firstOf(ordered, (j) => str(j, TAG.StudyDescription));
  if (description) study.description = description;
  if (series.length) study.series = series;
  return { imagingStudy: study, findings };
}
