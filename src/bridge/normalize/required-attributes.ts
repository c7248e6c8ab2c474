/**
 * Rule `required-attributes`: attributes the FHIR resources cannot do without. Missing UIDs,
 * Modality (series.modality is 1..1) or PatientID (no patient to link) hold the study; a
 * missing StudyDate/StudyTime or SeriesNumber/InstanceNumber only degrades the result.
 * Runs last, after the other rules removed values they could not repair.
 */
import { str, TAG } from '../mapping/dicom-read.js';
import { finding } from './edit.js';
import type { Finding, InstanceRule, Severity } from './types.js';

const RULE = 'required-attributes';

const REQUIRED: [tag: string, keyword: string, severity: Severity, consequence: string][] = [
  [TAG.StudyInstanceUID, 'StudyInstanceUID', 'error', 'the study cannot be identified'],
  [TAG.SeriesInstanceUID, 'SeriesInstanceUID', 'error', 'the series cannot be identified'],
  [TAG.SOPInstanceUID, 'SOPInstanceUID', 'error', 'the instance cannot be identified'],
  [TAG.SOPClassUID, 'SOPClassUID', 'error', 'series.instance.sopClass is required'],
  [TAG.Modality, 'Modality', 'error', 'series.modality is required'],
  [TAG.PatientID, 'PatientID', 'error', 'the study cannot be linked to a patient'],
  [TAG.StudyDate, 'StudyDate', 'warning', 'started falls back to other dates'],
  [
    TAG.StudyTime,
    'StudyTime',
    'info',
    'started takes the time of day from series or acquisition times, else has date precision',
  ],
  [TAG.SeriesNumber, 'SeriesNumber', 'info', 'series are ordered by UID'],
  [TAG.InstanceNumber, 'InstanceNumber', 'info', 'instances are ordered by UID'],
];

export const requiredAttributes: InstanceRule = {
  name: RULE,
  apply(json) {
    const findings: Finding[] = [];
    for (const [tag, keyword, severity, consequence] of REQUIRED) {
      if (str(json, tag) === undefined)
        findings.push(finding(RULE, severity, tag, null, `${keyword} missing: ${consequence}`));
    }
    return { json, findings };
  },
};
