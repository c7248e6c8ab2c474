import type { Source } from './context';
import { getJson } from './http';

/** GET /api/stroke/assessment (docs/stroke.md): the thrombolysis contraindication check. It never decides. */
export type FactorStatus = 'present' | 'absent' | 'unknown';
export type Guideline = 'aha-2026' | 'aha-2019';

export interface Evidence {
  reference: string;
  display?: string;
  value?: number | string | boolean;
  unit?: string;
  effective?: string;
  status?: string;
}
export interface Factor {
  id: string;
  label: string;
  status: FactorStatus;
  tier: string;
  reason: string;
  evidence: Evidence[];
}
export interface StrokeAssessment {
  patient: { id: string; name?: string };
  study: { studyInstanceUid: string; started?: string; description?: string } | null;
  guideline: Guideline;
  referenceTime: string;
  referenceTimeSource: 'request' | 'last-known-well' | 'study' | 'now';
  generatedAt: string;
  factors: Factor[];
  present: string[];
  unknown: string[];
  complete: boolean;
  sources: Source[];
}

/** GET /api/stroke/recent: the persisted runs, newest first. */
export interface RecentRun {
  studyInstanceUid: string;
  study: { id: string; started?: string; description?: string; modality?: string[] } | null;
  patient: { id: string; name?: string; identifier: { system?: string; value?: string }[] } | null;
  assessedAt?: string;
  guideline?: string;
  referenceTime?: string;
  referenceTimeSource?: string;
  present: string[];
  unknown: string[];
  complete: boolean;
}

export function strokeAssessment(patient: string, study: string | undefined, guideline: Guideline) {
  const q = new URLSearchParams({ patient, guideline });
  if (study) q.set('study', study);
  return getJson<StrokeAssessment>(`/api/stroke/assessment?${q}`);
}

/** `patient` is the context API's Patient id (the EHR's when the record is external). */
export async function recentStrokeRuns(o: { limit: number; patient?: string }): Promise<RecentRun[]> {
  return (await recentStrokePage(o)).runs;
}

/** One page of runs, newest first, and how many there are in all. */
export function recentStrokePage(o: { limit: number; offset?: number; patient?: string }) {
  const q = new URLSearchParams({ limit: String(o.limit) });
  if (o.offset) q.set('offset', String(o.offset));
  if (o.patient) q.set('patient', o.patient);
  return getJson<{ runs: RecentRun[]; total: number }>(`/api/stroke/recent?${q}`);
}

/** An event of /api/stroke/events: a check was written. */
export interface StrokeRunEvent {
  type: 'run';
  studyInstanceUid: string;
  patientId: string;
  assessedAt: string;
}

export const REFERENCE_SOURCE: Record<StrokeAssessment['referenceTimeSource'], string> = {
  request: 'given in the request',
  'last-known-well': 'last known well, from the record',
  study: "the study's start (no last-known-well time recorded)",
  now: 'now (no last-known-well time and no study)',
};
