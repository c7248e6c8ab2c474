/**
 * mapPatient: the Patient module of one instance → a FHIR Patient. The identifier always has
 * a system — from the issuer through the configured map, else the source's default — since
 * MRN 123 of two hospitals are two people. PN groups become one name each; sex M/F/O →
 * male/female/other, empty → omitted, anything else → unknown (the normalizer reports it).
 */
import type { DicomJson } from '../../dicom/types.js';
import { fhirDate } from './date-time.js';
import { items, personNames, str, TAG } from './dicom-read.js';
import type { MappedPatient, Patient } from './fhir-types.js';
import { issuerSystem } from './issuer.js';
import { humanNames } from './person-name.js';
import { V2_0203_SYSTEM } from './systems.js';
import { own } from '../../core/own.js';

export interface PatientContext {
  issuerSystems: Record<string, string>;
  defaultPatientSystem: string;
}

const GENDER: Record<string, Patient['gender']> = { M: 'male', F: 'female', O: 'other' };

/** The identifier system for the instance's PatientID. */
export function patientIdentifierSystem(json: DicomJson, ctx: PatientContext): string {
  const qualifiers = items(json, TAG.IssuerOfPatientIDQualifiersSequence)[0];
  const system =
    issuerSystem(
      {
        local: str(json, TAG.IssuerOfPatientID),
        universal: qualifiers && str(qualifiers, TAG.UniversalEntityID),
        universalType: qualifiers && str(qualifiers, TAG.UniversalEntityIDType),
      },
      ctx.issuerSystems,
    ) ?? ctx.defaultPatientSystem;
  if (!system.trim())
    throw new Error("mapPatient: no identifier system (configure the source's default patient system)");
  return system;
}

/** Throws when the instance has no PatientID: the normalizer quarantines such studies first. */
export function mapPatient(json: DicomJson, ctx: PatientContext): MappedPatient {
  const value = str(json, TAG.PatientID);
  if (!value) throw new Error('mapPatient: the instance has no PatientID');
  const patient: MappedPatient = {
    resourceType: 'Patient',
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: V2_0203_SYSTEM, code: 'MR' }] },
        system: patientIdentifierSystem(json, ctx),
        value,
      },
    ],
  };
  const pn = personNames(json, TAG.PatientName)[0];
  const names = pn ? humanNames(pn) : [];
  if (names.length) patient.name = names;
  const sex = str(json, TAG.PatientSex);
  if (sex) patient.gender = own(GENDER, sex.toUpperCase()) ?? 'unknown';
  const birthDate = fhirDate(str(json, TAG.PatientBirthDate));
  if (birthDate) patient.birthDate = birthDate;
  return patient;
}
