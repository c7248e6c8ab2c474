/**
 * ImagingStudy.started: StudyDate + StudyTime with TimezoneOffsetFromUTC, else the source's
 * configured zone. When StudyDate or StudyTime is missing the spec's fallbacks are tried in
 * order — SeriesDate/Time, AcquisitionDateTime, ContentDate/Time (earliest across the
 * study) — and every fallback is recorded as a finding.
 */
import type { DicomJson } from '../../dicom/types.js';
import type { Finding } from '../normalize/types.js';
import { fhirDateTime, fhirDateTimeFromDt, fhirOffset } from './date-time.js';
import { firstOf, str, TAG } from './dicom-read.js';

const RULE = 'map-started';

interface Candidate {
  label: string;
  tag: string;
  /** Sortable DICOM text (`YYYYMMDDHHMMSS…`) of the earliest value. */
  key: string;
  started: string;
}

function earliest(
  instances: DicomJson[],
  label: string,
  tag: string,
  read: (j: DicomJson) => [key: string, started: string | undefined] | undefined,
): Candidate | undefined {
  const found = instances
    .map(read)
    .filter((c): c is [string, string] => !!c && c[1] !== undefined)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))[0];
  return found ? { label, tag, key: found[0], started: found[1] } : undefined;
}

function fallbacks(instances: DicomJson[], zone: string): Candidate[] {
  const offsetOf = (j: DicomJson) => fhirOffset(str(j, TAG.TimezoneOffsetFromUTC));
  const dateTime = (j: DicomJson, da: string, tm: string): [string, string | undefined] | undefined => {
    const d = str(j, da);
    return d ? [d + (str(j, tm) ?? ''), fhirDateTime(d, str(j, tm), offsetOf(j), zone)] : undefined;
  };
  return [
    earliest(instances, 'SeriesDate/SeriesTime', TAG.SeriesDate, (j) => dateTime(j, TAG.SeriesDate, TAG.SeriesTime)),
    earliest(instances, 'AcquisitionDateTime', TAG.AcquisitionDateTime, (j) => {
      const dt = str(j, TAG.AcquisitionDateTime);
      return dt ? [dt, fhirDateTimeFromDt(dt, offsetOf(j), zone)] : undefined;
    }),
    earliest(instances, 'ContentDate/ContentTime', TAG.ContentDate, (j) =>
      dateTime(j, TAG.ContentDate, TAG.ContentTime),
    ),
  ].filter((c): c is Candidate => c !== undefined);
}

const hasTime = (started: string): boolean => started.includes('T');

export function studyStarted(instances: DicomJson[], zone: string): { started?: string; findings: Finding[] } {
  const findings: Finding[] = [];
  const rawOffset = firstOf(instances, (j) => str(j, TAG.TimezoneOffsetFromUTC));
  const offset = fhirOffset(rawOffset);
  if (rawOffset !== undefined && !offset) {
    findings.push({
      rule: RULE,
      severity: 'warning',
      tag: TAG.TimezoneOffsetFromUTC,
      original: rawOffset,
      message: `TimezoneOffsetFromUTC is not ±HHMM; the source's zone ${zone} was used`,
    });
  }
  const date = firstOf(instances, (j) => str(j, TAG.StudyDate));
  const time = firstOf(instances, (j) => str(j, TAG.StudyTime));
  const fromStudy = fhirDateTime(date, time, offset, zone);
  if (fromStudy && hasTime(fromStudy)) return { started: fromStudy, findings };

  const candidates = fallbacks(instances, zone);
  if (fromStudy) {
    const sameDay = candidates.find((c) => c.key.startsWith(date!) && hasTime(c.started));
    if (sameDay) {
      findings.push({
        rule: RULE,
        severity: 'warning',
        tag: TAG.StudyTime,
        original: null,
        corrected: sameDay.started,
        message: `StudyTime missing; the time of day was taken from ${sameDay.label}`,
      });
      return { started: sameDay.started, findings };
    }
    findings.push({
      rule: RULE,
      severity: 'info',
      tag: TAG.StudyTime,
      original: time ?? null,
      corrected: fromStudy,
      message: 'StudyTime missing or invalid; started has only date precision',
    });
    return { started: fromStudy, findings };
  }
  const fallback = candidates[0];
  if (fallback) {
    findings.push({
      rule: RULE,
      severity: 'warning',
      tag: TAG.StudyDate,
      original: date ?? null,
      corrected: fallback.started,
      message: `StudyDate missing; started was taken from ${fallback.label}`,
    });
    return { started: fallback.started, findings };
  }
  findings.push({
    rule: RULE,
    severity: 'warning',
    tag: TAG.StudyDate,
    original: date ?? null,
    message: 'no study, series, acquisition or content date: started is absent',
  });
  return { findings };
}
