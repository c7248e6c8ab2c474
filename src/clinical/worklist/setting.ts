/**
 * setting: the patient's current Encounter (in-progress, arrived, triaged): its class (EMER 25,
 * IMP / ACUTE / OBSENC 10, AMB 0) or its current Location's type (ER, ICU … 25), the higher of
 * the two; of several current encounters, the one that scores most. An ended encounter counts not.
 */
import type { Encounter } from '@medplum/fhirtypes';
import type { WorklistConfig } from './config.js';
import { codings, ref } from './read.js';
import type { StudyRecord, Term } from './types.js';

export interface SettingSignal {
  term?: Term;
  /** ED or ICU: a study without a priority still counts order.missingAcute. */
  acute: boolean;
}

interface Candidate {
  points: number;
  reason: string;
  evidence: string[];
  acute: boolean;
}

function candidates(e: Encounter, r: StudyRecord, c: WorklistConfig): Candidate[] {
  const out: Candidate[] = [];
  const cls = e.class?.code;
  const classPoints = cls ? c.setting.classes.get(cls) : undefined;
  if (cls && classPoints !== undefined)
    out.push({
      points: classPoints,
      reason: `current encounter class ${cls}${e.class?.display ? ` (${e.class.display})` : ''}`,
      evidence: [ref(e)],
      acute: c.setting.acute.includes(cls),
    });
  for (const l of e.location ?? []) {
    if (l.status === 'completed' || !l.location?.reference) continue;
    const location = r.locations.get(l.location.reference.replace(/^.*\/(Location\/[^/]+)$/, '$1'));
    if (!location) continue;
    for (const coding of (location.type ?? []).flatMap(codings)) {
      const points = coding.code ? c.setting.locationTypes.get(coding.code) : undefined;
      if (points === undefined || !coding.code) continue;
      out.push({
        points,
        reason: `current location ${location.name ?? ''} (type ${coding.code})`.replace('  ', ' '),
        evidence: [ref(e), ref(location)],
        acute: c.setting.acute.includes(coding.code),
      });
    }
  }
  return out;
}

export function settingTerm(r: StudyRecord, c: WorklistConfig): SettingSignal {
  const current = r.encounters.filter((e) => c.setting.encounterStatuses.includes(e.status));
  const all = current.flatMap((e) => candidates(e, r, c));
  if (!all.length) return { acute: false };
  const best = all.reduce((a, b) => (b.points > a.points ? b : a));
  return {
    acute: all.some((x) => x.acute),
    term: { term: 'setting', points: best.points, reason: best.reason, evidence: best.evidence },
  };
}
