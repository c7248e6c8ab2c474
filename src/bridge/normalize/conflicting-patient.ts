/**
 * Study rule `conflicting-patient`: instances of one study disagree about the patient. A
 * different PatientID or issuer means two patients in one study (error: quarantine); a
 * different name, birth date or sex is reported (the mapping uses the first instance in
 * series/instance order).
 */
import type { DicomJson } from '../../dicom/types.js';
import { personNames, str, TAG } from '../mapping/dicom-read.js';
import { finding } from './edit.js';
import type { Finding, Severity, StudyRule } from './types.js';

const RULE = 'conflicting-patient';

const nameText = (json: DicomJson): string | undefined => {
  const pn = personNames(json, TAG.PatientName)[0];
  return pn ? [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '') : undefined;
};

const CHECKS: [tag: string, keyword: string, severity: Severity, read: (json: DicomJson) => string | undefined][] = [
  [TAG.PatientID, 'PatientID', 'error', (j) => str(j, TAG.PatientID)],
  [TAG.IssuerOfPatientID, 'IssuerOfPatientID', 'error', (j) => str(j, TAG.IssuerOfPatientID)],
  [TAG.PatientName, 'PatientName', 'warning', nameText],
  [TAG.PatientBirthDate, 'PatientBirthDate', 'warning', (j) => str(j, TAG.PatientBirthDate)],
  [TAG.PatientSex, 'PatientSex', 'warning', (j) => str(j, TAG.PatientSex)],
];

export const conflictingPatient: StudyRule = {
  name: RULE,
  apply(instances) {
    const findings: Finding[] = [];
    for (const [tag, keyword, severity, read] of CHECKS) {
      const values = [...new Set(instances.map((j) => read(j) ?? ''))];
      if (values.length > 1)
        findings.push(finding(RULE, severity, tag, values.sort(), `instances of the study disagree about ${keyword}`));
    }
    return { instances, findings };
  },
};
