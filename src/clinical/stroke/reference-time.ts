/**
 * The time windows count back from: `at` if the request gives one, else the last-known-well time
 * recorded for the patient (an Observation with a configurable code: its valueDateTime, else its
 * effective time; the latest recorded counts), else the study's start, else now.
 */
import type { Observation } from '@medplum/fhirtypes';
import { counts } from './observations.js';
import { codings, evidence, time } from './read.js';
import type { Evidence } from './types.js';

export type ReferenceTimeSource = 'request' | 'last-known-well' | 'study' | 'now';

export interface ReferenceTime {
  time: number;
  source: ReferenceTimeSource;
  evidence?: Evidence;
}

export interface CodeRef {
  system: string;
  code: string;
}

/** Default last-known-well code (docs/stroke.md): ours, since LOINC and SNOMED have no agreed one (◐). */
export const DEFAULT_LAST_KNOWN_WELL: CodeRef[] = [
  { system: 'https://imaging-bridge.example/fhir/CodeSystem/stroke', code: 'last-known-well' },
];

export function referenceTime(o: {
  at?: number;
  observations: Observation[] | null;
  lastKnownWell: CodeRef[];
  studyStarted?: number;
  now: number;
}): ReferenceTime {
  if (o.at !== undefined) return { time: o.at, source: 'request' };
  const lkw = (o.observations ?? [])
    .filter(
      (x) =>
        counts(x) &&
        codings(x.code).some((c) => o.lastKnownWell.some((k) => k.system === c.system && k.code === c.code)),
    )
    .map((x) => ({
      x,
      t: time(x.valueDateTime ?? x.effectiveDateTime ?? x.effectivePeriod?.start),
      rec: time(x.issued) ?? 0,
    }))
    .filter((v): v is { x: Observation; t: number; rec: number } => v.t !== undefined)
    .sort((a, b) => b.rec - a.rec || b.t - a.t)[0];
  if (lkw)
    return {
      time: lkw.t,
      source: 'last-known-well',
      evidence: evidence(lkw.x, { display: 'last known well', value: new Date(lkw.t).toISOString() }),
    };
  if (o.studyStarted !== undefined) return { time: o.studyStarted, source: 'study' };
  return { time: o.now, source: 'now' };
}
