/** conditions, allergies, flags and encounters sections: state that stays relevant while active. */
import type { AllergyIntolerance, Condition, Encounter, Flag } from '@medplum/fhirtypes';
import type { FhirResource } from '../fhir/types.js';
import { asArray, coding, concept, firstCode, newestFirst, ofType, refId, str, time, type Typed } from './fhir-read.js';
import type { AllergySummary, ConditionSummary, EncounterSummary, FlagSummary, Period } from './summaries.js';

type Built<T> = { items: T[]; used: FhirResource[] };

/** Kept when still active, or when its latest date is at/after `since` (no since: all but errors). */
function keep<R>(
  resources: R[],
  o: { since?: number },
  active: (r: R) => boolean,
  latest: (r: R) => number | undefined,
  error: (r: R) => boolean,
): R[] {
  return resources.filter(
    (r) => !error(r) && (o.since === undefined || active(r) || (latest(r) ?? Infinity) >= o.since),
  );
}

const maxTime = (...t: (number | undefined)[]) => {
  const known = t.filter((x): x is number => x !== undefined);
  return known.length ? Math.max(...known) : undefined;
};

export function buildConditions(resources: Typed<Condition>[], o: { since?: number }): Built<ConditionSummary> {
  const active = (r: Condition) => ['active', 'recurrence', 'relapse'].includes(firstCode(r.clinicalStatus) ?? '');
  const at = (r: Condition) => maxTime(time(r.recordedDate), time(r.onsetDateTime), time(r.abatementDateTime));
  const kept = newestFirst(
    keep(resources, o, active, at, (r) => firstCode(r.verificationStatus) === 'entered-in-error'),
    at,
    (r) => r.id!,
  );
  const items = kept.map((r): ConditionSummary => {
    const out: ConditionSummary = {
      id: r.id!,
      category: asArray(r.category)
        .map(firstCode)
        .filter((c): c is string => !!c),
    };
    const code = concept(r.code);
    if (code) out.code = code;
    const clinical = firstCode(r.clinicalStatus);
    if (clinical) out.clinicalStatus = clinical;
    const verification = firstCode(r.verificationStatus);
    if (verification) out.verificationStatus = verification;
    const onset = str(r.onsetDateTime);
    if (onset) out.onset = onset;
    const abatement = str(r.abatementDateTime);
    if (abatement) out.abatement = abatement;
    const recorded = str(r.recordedDate);
    if (recorded) out.recorded = recorded;
    const stage = concept(asArray(r.stage)[0]?.summary)?.text;
    if (stage) out.stage = stage;
    const note = str(asArray(r.note)[0]?.text);
    if (note) out.note = note;
    return out;
  });
  return { items, used: kept };
}

export function buildAllergies(resources: Typed<AllergyIntolerance>[], o: { since?: number }): Built<AllergySummary> {
  const active = (r: AllergyIntolerance) => (firstCode(r.clinicalStatus) ?? 'active') === 'active';
  const at = (r: AllergyIntolerance) => maxTime(time(r.recordedDate), time(r.onsetDateTime), time(r.lastOccurrence));
  const kept = newestFirst(
    keep(resources, o, active, at, (r) => firstCode(r.verificationStatus) === 'entered-in-error'),
    at,
    (r) => r.id!,
  );
  const items = kept.map((r): AllergySummary => {
    const out: AllergySummary = {
      id: r.id!,
      category: asArray<unknown>(r.category).filter((c): c is string => typeof c === 'string'),
      reactions: [],
    };
    const code = concept(r.code);
    if (code) out.code = code;
    const clinical = firstCode(r.clinicalStatus);
    if (clinical) out.clinicalStatus = clinical;
    const verification = firstCode(r.verificationStatus);
    if (verification) out.verificationStatus = verification;
    const type = str(r.type);
    if (type) out.type = type;
    const criticality = str(r.criticality);
    if (criticality) out.criticality = criticality;
    out.reactions = asArray(r.reaction).flatMap((x) =>
      asArray(x.manifestation)
        .map((m) => concept(m)?.text)
        .filter((t): t is string => !!t),
    );
    const recorded = str(r.recordedDate);
    if (recorded) out.recorded = recorded;
    return out;
  });
  return { items, used: kept };
}

/** start and end when they are strings (an external EHR's period is not validated). */
function periodOf(p: Period | undefined): Period | undefined {
  if (!p) return undefined;
  const start = str(p.start);
  const end = str(p.end);
  return { ...(start ? { start } : {}), ...(end ? { end } : {}) };
}

export function buildFlags(resources: Typed<Flag>[], o: { since?: number }): Built<FlagSummary> {
  const at = (r: Flag) => maxTime(time(r.period?.start), time(r.period?.end));
  const kept = newestFirst(
    keep(
      resources,
      o,
      (r) => r.status === 'active',
      at,
      (r) => r.status === 'entered-in-error',
    ),
    at,
    (r) => r.id!,
  );
  const items = kept.map((r): FlagSummary => {
    const out: FlagSummary = {
      id: r.id!,
      category: asArray(r.category)
        .map(firstCode)
        .filter((c): c is string => !!c),
    };
    const status = str(r.status);
    if (status) out.status = status;
    const code = concept(r.code);
    if (code) out.code = code;
    const p = periodOf(r.period);
    if (p) out.period = p;
    return out;
  });
  return { items, used: kept };
}

const CURRENT = new Set(['in-progress', 'arrived', 'triaged', 'onleave']);

export function buildEncounters(
  resources: Typed<Encounter>[],
  included: FhirResource[],
  o: { since?: number },
): Built<EncounterSummary> {
  const locations = new Map(ofType(included, 'Location').map((r) => [r.id!, r]));
  const at = (r: Encounter) => maxTime(time(r.period?.start), time(r.period?.end));
  const kept = newestFirst(
    keep(
      resources,
      o,
      (r) => CURRENT.has(String(r.status)),
      at,
      (r) => r.status === 'entered-in-error' || r.status === 'cancelled',
    ),
    (r) => time(r.period?.start),
    (r) => r.id!,
  );
  const used: FhirResource[] = [...kept];
  const items = kept.map((r): EncounterSummary => {
    const out: EncounterSummary = {
      id: r.id!,
      current: CURRENT.has(String(r.status)),
      reason: asArray(r.reasonCode)
        .map((c) => concept(c)?.text)
        .filter((t): t is string => !!t),
    };
    const status = str(r.status);
    if (status) out.status = status;
    const cls = coding(r.class);
    if (cls) out.class = cls;
    const p = periodOf(r.period);
    if (p) out.period = p;
    const locs = asArray(r.location);
    const loc = locs.find((l) => l.status === 'active') ?? locs[locs.length - 1];
    if (loc) {
      const id = refId(loc.location, 'Location');
      const resource = id ? locations.get(id) : undefined;
      if (resource && !used.includes(resource)) used.push(resource);
      const display = str(resource?.name) ?? str(loc.location?.display);
      const status = str(loc.status);
      out.location = { ...(id ? { id } : {}), ...(display ? { display } : {}), ...(status ? { status } : {}) };
    }
    return out;
  });
  return { items, used };
}
