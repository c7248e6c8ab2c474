/**
 * mergeImagingStudy: overlay a freshly mapped ImagingStudy on the stored one. The bridge
 * replaces only the elements it owns; everything else — id, meta, note, encounter, location,
 * a resolved ServiceRequest or Practitioner reference, extensions inside series/instances —
 * survives. `changed` is false when the result equals the stored resource, so the caller
 * skips the write (each write is a new version and a round of subscription notifications).
 */
import { deepEqual } from './deep-equal.js';
import type { Identifier, ImagingStudy, ImagingStudyInstance, ImagingStudySeries, Reference } from './fhir-types.js';
import { DICOM_UID_SYSTEM } from './systems.js';

const STUDY_KEYS = [
  'status',
  'modality',
  'subject',
  'started',
  'interpreter',
  'numberOfSeries',
  'numberOfInstances',
  'procedureCode',
  'reasonCode',
  'description',
] as const satisfies readonly (keyof ImagingStudy)[];
const SERIES_KEYS = [
  'number',
  'modality',
  'description',
  'numberOfInstances',
  'bodySite',
  'laterality',
  'started',
  'performer',
] as const satisfies readonly (keyof ImagingStudySeries)[];
const INSTANCE_KEYS = ['sopClass', 'number', 'title'] as const satisfies readonly (keyof ImagingStudyInstance)[];
/** A status a person (or a rejection) set to retire a study; an arriving instance does not undo it. */
const RETIRED = new Set(['cancelled', 'entered-in-error']);

/** Sets `o[k]`, or removes the key when there is no value (a removed key, not one set to undefined). */
function put<T extends object, K extends keyof T>(o: T, k: K, v: T[K] | undefined): void {
  if (v === undefined) delete o[k];
  else o[k] = v;
}

/** Owned keys from `mapped`; a key the mapping no longer produces is removed, not left stale. */
function overlay<T extends object>(existing: T, mapped: T, keys: readonly (keyof T)[]): T {
  const out = { ...existing };
  for (const k of keys) put(out, k, mapped[k]);
  return out;
}

/** Our entries first (in our order), then every entry we do not own, in stored order. */
function mergeSlot<T>(existing: T[] | undefined, derived: T[] | undefined, owns: (v: T) => boolean): T[] | undefined {
  const merged = [...(derived ?? []), ...(existing ?? []).filter((v) => !owns(v))];
  return merged.length ? merged : undefined;
}

const isAccession = (i: Identifier | undefined): boolean => !!i?.type?.coding?.some((c) => c.code === 'ACSN');

function mergeInstances(
  existing: ImagingStudyInstance[] | undefined,
  mapped: ImagingStudyInstance[] | undefined,
): ImagingStudyInstance[] | undefined {
  return mapped?.map((m) => {
    const e = existing?.find((x) => x.uid === m.uid);
    return e ? overlay(e, m, INSTANCE_KEYS) : m;
  });
}

function mergeSeries(
  existing: ImagingStudySeries[] | undefined,
  mapped: ImagingStudySeries[] | undefined,
): ImagingStudySeries[] | undefined {
  return mapped?.map((m) => {
    const e = existing?.find((x) => x.uid === m.uid);
    if (!e) return m;
    const merged = overlay(e, m, SERIES_KEYS);
    put(merged, 'instance', mergeInstances(e.instance, m.instance));
    return merged;
  });
}

/** A stored reference with the same display is the same person, already resolved: keep it. */
function keepResolved<T extends Reference>(existing: T | undefined, mapped: T | undefined): T | undefined {
  return existing?.reference && mapped && existing.display === mapped.display ? existing : mapped;
}

/**
 * `ownedEndpoints`: references to Endpoints the bridge made for other DICOMweb services the
 * study's images are at (ours, its source PACS): replaced by the mapped one when the choice changed.
 */
export function mergeImagingStudy(
  existing: ImagingStudy | undefined,
  mapped: ImagingStudy,
  ownedEndpoints: readonly string[] = [],
): { resource: ImagingStudy; changed: boolean } {
  if (!existing) return { resource: mapped, changed: true };
  const merged = overlay(existing, mapped, STUDY_KEYS);
  if (RETIRED.has(existing.status) && mapped.status === 'available') merged.status = existing.status;

  const accessionSystems = new Set((mapped.identifier ?? []).filter(isAccession).map((i) => i.system));
  const ownsIdentifier = (i: Identifier | undefined): boolean =>
    !!i && (i.system === DICOM_UID_SYSTEM || (isAccession(i) && accessionSystems.has(i.system)));
  const identifier = mergeSlot(existing.identifier, mapped.identifier, ownsIdentifier);
  const basedOn = mergeSlot(
    existing.basedOn,
    mapped.basedOn?.map(
      (m) => existing.basedOn?.find((e) => e.reference && deepEqual(e.identifier, m.identifier)) ?? m,
    ),
    (r) => r.type === 'ServiceRequest' && ownsIdentifier(r.identifier),
  );
  const endpoint = mergeSlot(
    existing.endpoint,
    mapped.endpoint,
    (r) =>
      !!mapped.endpoint?.some((m) => m.reference === r.reference) ||
      (r.reference !== undefined && ownedEndpoints.includes(r.reference)),
  );
  put(merged, 'identifier', identifier);
  put(merged, 'basedOn', basedOn);
  put(merged, 'endpoint', endpoint);
  put(merged, 'referrer', keepResolved(existing.referrer, mapped.referrer));
  put(merged, 'series', mergeSeries(existing.series, mapped.series));
  return { resource: merged, changed: !deepEqual(existing, merged) };
}
