/**
 * The concept names a TID 1500 reader looks for (PS3.16), as [CodeValue, CodingSchemeDesignator].
 * Checked against PS3.16 tables as quoted by the HL7 DICOM SR → FHIR IG (hl7.org/fhir/uv/dicom-sr)
 * and DICOM CID 7002 (Finding, Impression, Conclusion); ◐ marks codes taken from memory of PS3.16
 * that could not be checked here.
 */
import type { CodeInput } from '../input.js';
import type { SrCode } from './content.js';
import { own } from '../../core/own.js';

export type Concept = readonly [value: string, scheme: string];

export const CODES = {
  ImagingMeasurementReport: ['126000', 'DCM'],
  ImagingMeasurements: ['126010', 'DCM'],
  DerivedImagingMeasurements: ['126011', 'DCM'],
  QualitativeEvaluations: ['C0034375', 'UMLS'],
  MeasurementGroup: ['125007', 'DCM'],
  TrackingIdentifier: ['112039', 'DCM'],
  TrackingUniqueIdentifier: ['112040', 'DCM'],
  Finding: ['121071', 'DCM'],
  FindingSite: ['363698007', 'SCT'],
  Laterality: ['272741003', 'SCT'],
  Impression: ['121073', 'DCM'],
  Conclusion: ['121077', 'DCM'],
  AlgorithmName: ['111001', 'DCM'],
  AlgorithmVersion: ['111003', 'DCM'],
  // TID 1004 Device Observer Identifying Attributes ◐
  DeviceObserverUID: ['121012', 'DCM'],
  DeviceObserverName: ['121013', 'DCM'],
  DeviceObserverManufacturer: ['121014', 'DCM'],
  DeviceObserverModelName: ['121015', 'DCM'],
  DeviceObserverSerialNumber: ['121016', 'DCM'],
  // Group items that qualify the group rather than being an evaluation of their own ◐
  FindingCategory: ['276214006', 'SCT'],
  MeasurementMethod: ['370129005', 'SCT'],
  TopographicalModifier: ['106233006', 'SCT'],
  SourceSeriesForSegmentation: ['121232', 'DCM'],
} as const satisfies Record<string, Concept>;

/** Laterality values (CID 244) → the input's words. */
export const LATERALITY_VALUES: Record<string, 'left' | 'right' | 'bilateral'> = {
  '7771000': 'left',
  '24028007': 'right',
  '51440002': 'bilateral',
};

/** Coding scheme designators → FHIR system URIs. An unknown designator keeps only the meaning as text (no invented system). */
const SYSTEMS: Record<string, string> = {
  SCT: 'http://snomed.info/sct',
  SRT: 'http://snomed.info/srt',
  DCM: 'http://dicom.nema.org/resources/ontology/DCM',
  LN: 'http://loinc.org',
  UCUM: 'http://unitsofmeasure.org',
  RADLEX: 'http://www.radlex.org',
  RPID: 'http://www.radlex.org',
  UMLS: 'http://terminology.hl7.org/CodeSystem/umls',
  NCIT: 'http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl',
};

export function systemOf(scheme: string | undefined): string | undefined {
  return scheme ? own(SYSTEMS, scheme.toUpperCase()) : undefined;
}

/** An SR code as the input's `{system, code, display}`, or its meaning as text when the scheme is unknown. */
export function codeInput(c: SrCode, text?: string): CodeInput | string {
  const system = systemOf(c.scheme);
  if (system && c.value)
    return { system, code: c.value, ...(c.meaning ? { display: c.meaning } : {}), ...(text ? { text } : {}) };
  return text ?? c.meaning ?? c.value!;
}
