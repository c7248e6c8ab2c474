/** conditions, allergies, flags and encounters sections: state that stays relevant while active. */
import type { FhirResource } from '../fhir/types.js';
import {
  asArray,
  coding,
  concept,
  firstCode,
  newestFirst,
  refId,
  str,
  time,
  type CodingOut,
  type Concept,
  type Json,
} from './fhir-read.js';

type Built<T> = { items: T[]; used: FhirResource[] };

/** Kept when still active, or when its latest date is at/after `since` (no since: all but errors). */
function keep(
  resources: FhirResource[],
  o: { since?: number },
  active: (r: Json) => boolean,
  latest: (r: Json) => number | undefined,
  error: (r: Json) => boolean,
) {
  return resources.filter(
    (r) => !error(r) && (o.since === undefined || active(r) || (latest(r) ?? Infinity) >= o.since),
  );
}

const maxTime = (...t: (number | undefined)[]) => {
  const known = t.filter((x): x is number => x !== undefined);
  return known.length ? Math.max(...known) : undefined;
};

export interface ConditionSummary {
  id: string;
  code?: Concept;
  clinicalStatus?: string;
  verificationStatus?: string;
  category: string[];
  onset?: string;
  abatement?: string;
  recorded?: string;
  stage?: string;
  note?: string;
}

export function buildConditions(resources: FhirResource[], o: { since?: number }): Built<ConditionSummary> {
  const active = (r: Json) => ['active', 'recurrence', 'relapse'].includes(firstCode(r.clinicalStatus) ?? '');
  const at = (r: Json) => maxTime(time(r.recordedDate), time(r.onsetDateTime), time(r.abatementDateTime));
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
    if (str(r.onsetDateTime)) out.onset = r.onsetDateTime as string;
    if (str(r.abatementDateTime)) out.abatement = r.abatementDateTime as string;
    if (str(r.recordedDate)) out.recorded = r.recordedDate as string;
    const stage = concept(asArray(r.stage)[0]?.summary)?.text;
    if (stage) out.stage = stage;
    const note = str(asArray(r.note)[0]?.text);
    if (note) out.note = note;
    return out;
  });
  return { items, used: kept };
}

export interface AllergySummary {
  id: string;
  code?: Concept;
  clinicalStatus?: string;
  verificationStatus?: string;
  type?: string;
  category: string[];
  criticality?: string;
  reactions: string[];
  recorded?: string;
}

export function buildAllergies(resources: FhirResource[], o: { since?: number }): Built<AllergySummary> {
  const active = (r: Json) => (firstCode(r.clinicalStatus) ?? 'active') === 'active';
  const at = (r: Json) => maxTime(time(r.recordedDate), time(r.onsetDateTime), time(r.lastOccurrence));
  const kept = newestFirst(
    keep(resources, o, active, at, (r) => firstCode(r.verificationStatus) === 'entered-in-error'),
    at,
    (r) => r.id!,
  );
  const items = kept.map((r): AllergySummary => {
    const out: AllergySummary = {
      id: r.id!,
      category: asArray<string>(r.category).filter((c) => typeof c === 'string'),
      reactions: [],
    };
    const code = concept(r.code);
    if (code) out.code = code;
    const clinical = firstCode(r.clinicalStatus);
    if (clinical) out.clinicalStatus = clinical;
    const verification = firstCode(r.verificationStatus);
    if (verification) out.verificationStatus = verification;
    if (str(r.type)) out.type = r.type as string;
    if (str(r.criticality)) out.criticality = r.criticality as string;
    out.reactions = asArray(r.reaction).flatMap((x) =>
      asArray(x.manifestation)
        .map((m) => concept(m)?.text)
        .filter((t): t is string => !!t),
    );
    if (str(r.recordedDate)) out.recorded = r.recordedDate as string;
    return out;
  });
  return { items, used: kept };
}

export interface FlagSummary {
  id: string;
  status?: string;
  code?: Concept;
  category: string[];
  period?: { start?: string; end?: string };
}

export function buildFlags(resources: FhirResource[], o: { since?: number }): Built<FlagSummary> {
  const period = (r: Json) => r.period as Json | undefined;
  const at = (r: Json) => maxTime(time(period(r)?.start), time(period(r)?.end));
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
    if (str(r.status)) out.status = r.status as string;
    const code = concept(r.code);
    if (code) out.code = code;
    const p = period(r);
    if (p)
      out.period = {
        ...(str(p.start) ? { start: p.start as string } : {}),
        ...(str(p.end) ? { end: p.end as string } : {}),
      };
    return out;
  });
  return { items, used: kept };
}

export interface EncounterSummary {
  id: string;
  status?: string;
  class?: CodingOut;
  /** In progress (or arrived/triaged): the patient is here now. */
  current: boolean;
  period?: { start?: string; end?: string };
  /** The active location (else the last one), its name from the Location when we have it. */
  location?: { id?: string; display?: string; status?: string };
  reason: string[];
}

const CURRENT = new Set(['in-progress', 'arrived', 'triaged', 'onleave']);

export function buildEncounters(
  resources: FhirResource[],
  included: FhirResource[],
  o: { since?: number },
): Built<EncounterSummary> {
  const locations = new Map(included.filter((r) => r.resourceType === 'Location').map((r) => [r.id!, r]));
  const period = (r: Json) => r.period as Json | undefined;
  const at = (r: Json) => maxTime(time(period(r)?.start), time(period(r)?.end));
  const kept = newestFirst(
    keep(
      resources,
      o,
      (r) => CURRENT.has(String(r.status)),
      at,
      (r) => r.status === 'entered-in-error' || r.status === 'cancelled',
    ),
    (r) => time(period(r)?.start),
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
    if (str(r.status)) out.status = r.status as string;
    const cls = coding(r.class);
    if (cls) out.class = cls;
    const p = period(r);
    if (p)
      out.period = {
        ...(str(p.start) ? { start: p.start as string } : {}),
        ...(str(p.end) ? { end: p.end as string } : {}),
      };
    const locs = asArray(r.location);
    const loc = locs.find((l) => l.status === 'active') ?? locs[locs.length - 1];
    if (loc) {
      const id = refId(loc.location, 'Location');
      const resource = id ? locations.get(id) : undefined;
      if (resource && !used.includes(resource)) used.push(resource);
      const display = str(resource?.name) ?? str((loc.location as Json | undefined)?.display);
      out.location = {
        ...(id ? { id } : {}),
        ...(display ? { display } : {}),
        ...(str(loc.status) ? { status: loc.status as string } : {}),
      };
    }
    return out;
  });
  return { items, used };
}
