/**
 * The data-flow comparison: studies in the PACS against ImagingStudy resources in FHIR, by
 * StudyInstanceUID. Pure: everything it needs is in its arguments.
 */
import type { Mismatch } from './types.js';

export interface PacsStudy {
  uid: string;
  patientId?: string;
  /** YYYYMMDD */
  date?: string;
  series?: number;
  instances?: number;
}

export interface FhirStudy {
  id: string;
  uid: string;
  /** `Patient/…` of subject. */
  subject?: string;
  /** The identifier values of that Patient (when read). */
  patientIds?: string[];
  /** ISO date-time of `started`. */
  started?: string;
  series?: number;
  instances?: number;
  lastUpdated?: string;
  /** Already marked by `reconcile --apply` as naming a study the PACS does not have. */
  orphanTagged?: boolean;
}

export interface Comparison {
  matched: { pacs: PacsStudy; fhir: FhirStudy }[];
  missingInFhir: string[];
  notInPacs: FhirStudy[];
  mismatched: Mismatch[];
  lagSeconds: { median: number; max: number } | null;
}

/** `urn:oid:1.2.3` and `1.2.3` name the same UID. */
export const bareUid = (value: string): string => value.replace(/^urn:oid:/i, '');

function mismatchOf(p: PacsStudy, f: FhirStudy): Mismatch['fields'] {
  const fields: Mismatch['fields'] = [];
  if (p.series !== undefined && f.series !== undefined && p.series !== f.series) fields.push('numberOfSeries');
  if (p.instances !== undefined && f.instances !== undefined && p.instances !== f.instances)
    fields.push('numberOfInstances');
  if (p.patientId && f.patientIds && f.patientIds.length > 0 && !f.patientIds.includes(p.patientId))
    fields.push('patientId');
  if (p.date && f.started && f.started.slice(0, 10).replaceAll('-', '') !== p.date) fields.push('studyDate');
  return fields;
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** `fhir` holds every ImagingStudy found (in the window, or by the PACS studies' UIDs). */
export function compareStudies(pacs: PacsStudy[], fhir: FhirStudy[]): Comparison {
  const byUid = new Map<string, FhirStudy>();
  for (const f of fhir) if (!byUid.has(f.uid)) byUid.set(f.uid, f);
  const inPacs = new Set(pacs.map((p) => p.uid));
  const matched: Comparison['matched'] = [];
  const missingInFhir: string[] = [];
  const mismatched: Mismatch[] = [];
  const lags: number[] = [];
  for (const p of pacs) {
    const f = byUid.get(p.uid);
    if (!f) {
      missingInFhir.push(p.uid);
      continue;
    }
    matched.push({ pacs: p, fhir: f });
    const fields = mismatchOf(p, f);
    if (fields.length > 0) mismatched.push({ studyInstanceUid: p.uid, fields });
    const from = f.started ? Date.parse(f.started) : Number.NaN;
    const to = f.lastUpdated ? Date.parse(f.lastUpdated) : Number.NaN;
    if (Number.isFinite(from) && Number.isFinite(to)) lags.push(Math.max(0, Math.round((to - from) / 1000)));
  }
  const notInPacs = [...byUid.values()].filter((f) => !inPacs.has(f.uid));
  return {
    matched,
    missingInFhir: missingInFhir.sort(),
    notInPacs: notInPacs.sort((a, b) => a.uid.localeCompare(b.uid)),
    mismatched: mismatched.sort((a, b) => a.studyInstanceUid.localeCompare(b.studyInstanceUid)),
    lagSeconds: lags.length ? { median: median(lags), max: Math.max(...lags) } : null,
  };
}
