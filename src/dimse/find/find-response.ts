/**
 * QIDO results → C-FIND response identifiers (PS3.4 C.4.1.1.3.2): exactly the requested
 * keys (empty when we have no value), the query level, our AE as RetrieveAETitle, and
 * UTF-8 declared when any value needs it. Patient-level answers group studies. Pure.
 */
import type { DicomJson, DicomJsonAttribute } from '../../dicom/index.js';
import { TAGS, type FindPlan } from './find-plan.js';

export function responseIdentifier(result: DicomJson, plan: FindPlan, aeTitle: string): DicomJson {
  const out: DicomJson = {};
  for (const { tag, vr } of plan.returnKeys) {
    if (tag === TAGS.SpecificCharacterSet) continue;
    if (tag === TAGS.RetrieveAETitle) {
      out[tag] = { vr: 'AE', Value: [aeTitle] };
      continue;
    }
    const found = result[tag];
    out[tag] = found?.Value && !found.BulkDataURI && !found.InlineBinary ? found : { vr: found?.vr ?? vr };
  }
  out[TAGS.QueryRetrieveLevel] = { vr: 'CS', Value: [plan.level] };
  if (needsUnicode(out)) out[TAGS.SpecificCharacterSet] = { vr: 'CS', Value: ['ISO_IR 192'] };
  else if (plan.returnKeys.some((k) => k.tag === TAGS.SpecificCharacterSet))
    out[TAGS.SpecificCharacterSet] = { vr: 'CS' };
  return sortByTag(out);
}

/**
 * Studies → patients (Patient Root, PATIENT level): one answer per Patient ID (and issuer),
 * its attributes from the patient's first study, with patient-related counts summed.
 */
export function groupByPatient(studies: DicomJson[]): DicomJson[] {
  const patients = new Map<string, { json: DicomJson; studies: number; series: number; instances: number }>();
  for (const study of studies) {
    const key = `${first(study, TAGS.PatientID)}\u0000${first(study, TAGS.IssuerOfPatientID)}`;
    let p = patients.get(key);
    if (!p) {
      p = { json: study, studies: 0, series: 0, instances: 0 };
      patients.set(key, p);
    }
    p.studies += 1;
    p.series += Number(first(study, TAGS.NumberOfStudyRelatedSeries) || 0);
    p.instances += Number(first(study, TAGS.NumberOfStudyRelatedInstances) || 0);
  }
  return [...patients.values()].map((p) => ({
    ...p.json,
    [TAGS.NumberOfPatientRelatedStudies]: { vr: 'IS', Value: [p.studies] },
    [TAGS.NumberOfPatientRelatedSeries]: { vr: 'IS', Value: [p.series] },
    [TAGS.NumberOfPatientRelatedInstances]: { vr: 'IS', Value: [p.instances] },
  }));
}

function first(json: DicomJson, tag: string): string {
  const v = json[tag]?.Value?.[0];
  return v === undefined || v === null ? '' : String(v);
}

function needsUnicode(json: DicomJson): boolean {
  return Object.values(json).some((a) => hasNonAscii(a));
}

function hasNonAscii(a: DicomJsonAttribute): boolean {
  return (a.Value ?? []).some((v) => {
    if (typeof v === 'string') return /[^\x00-\x7f]/.test(v);
    if (typeof v === 'object' && v !== null) {
      if (a.vr === 'SQ') return needsUnicode(v as DicomJson);
      return Object.values(v).some((s) => typeof s === 'string' && /[^\x00-\x7f]/.test(s));
    }
    return false;
  });
}

function sortByTag(json: DicomJson): DicomJson {
  return Object.fromEntries(Object.entries(json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
