/**
 * Lesions and time points: measurements grouped by the studies behind them (a time point is its
 * first study and every study within 7 days of it) and by lesion (tracking UID, else tracking
 * id, else the BodyStructure).
 */
import { codings, DAY, SNOMED } from './fhir.js';
import type { Axis, Measurement, StudyRef } from './types.js';

export const SAME_TIMEPOINT_MS = 7 * DAY;

export interface RawTimepoint {
  time: number;
  studies: StudyRef[];
  /** Measurements by lesion key. */
  byLesion: Map<string, Measurement[]>;
}

export interface Lesion {
  key: string;
  label: string;
  trackingId?: string;
  trackingUid?: string;
  bodyStructure?: string;
  site?: Measurement['site'];
  nodal: boolean;
  axis: Axis;
  /** The organ for the ≤ 2 per organ rule: every lymph node is one organ (RECIST 1.1 FAQ). */
  organ: string;
}

export function groupTimepoints(measurements: Measurement[]): RawTimepoint[] {
  const studies = new Map<string, StudyRef>();
  for (const m of measurements) studies.set(m.study.reference, m.study);
  const ordered = [...studies.values()].sort((a, b) => a.time - b.time || a.reference.localeCompare(b.reference));
  const points: RawTimepoint[] = [];
  const pointOf = new Map<string, RawTimepoint>();
  for (const s of ordered) {
    let tp = points.at(-1);
    if (!tp || s.time - tp.time > SAME_TIMEPOINT_MS) {
      tp = { time: s.time, studies: [], byLesion: new Map() };
      points.push(tp);
    }
    tp.studies.push(s);
    pointOf.set(s.reference, tp);
  }
  for (const m of measurements) {
    const tp = pointOf.get(m.study.reference)!;
    const list = tp.byLesion.get(m.lesionKey) ?? [];
    list.push(m);
    tp.byLesion.set(m.lesionKey, list);
  }
  return points;
}

export function describeLesions(measurements: Measurement[], nodalSites: ReadonlySet<string>): Map<string, Lesion> {
  const out = new Map<string, Lesion>();
  for (const m of measurements) {
    const known = out.get(m.lesionKey);
    const siteNodal = codings(m.site).some((c) => c.system === SNOMED && !!c.code && nodalSites.has(c.code));
    const nodal = (known?.nodal ?? false) || siteNodal || m.kind === 'short';
    const site = known?.site ?? m.site;
    out.set(m.lesionKey, {
      key: m.lesionKey,
      label: known?.label ?? m.trackingId ?? m.trackingUid ?? m.bodyStructure ?? m.lesionKey,
      ...((known?.trackingId ?? m.trackingId) ? { trackingId: known?.trackingId ?? m.trackingId } : {}),
      ...((known?.trackingUid ?? m.trackingUid) ? { trackingUid: known?.trackingUid ?? m.trackingUid } : {}),
      ...((known?.bodyStructure ?? m.bodyStructure) ? { bodyStructure: known?.bodyStructure ?? m.bodyStructure } : {}),
      ...(site ? { site } : {}),
      nodal,
      axis: nodal ? 'short' : 'long',
      organ: nodal ? 'lymph node' : organOf(site),
    });
  }
  return out;
}

/** The site's SNOMED code (laterality is a qualifier, so left and right lung are one organ), else its text. */
function organOf(site: Measurement['site']): string {
  const c = codings(site).find((x) => x.system === SNOMED && x.code) ?? codings(site)[0];
  return c?.code ? `${c.system}|${c.code}` : (site?.text ?? 'unknown site');
}

export interface Chosen {
  measurement: Measurement;
  /** How many measurements of the lesion's axis the time point held. */
  count: number;
}

/**
 * The lesion's value at a time point: its axis (nodes the short axis, others the long axis; a
 * diameter stands for either). With several, the one of the latest study, then the largest.
 */
export function chooseMeasurement(lesion: Lesion, list: Measurement[] | undefined): Chosen | undefined {
  const axis = (list ?? []).filter((m) => m.kind === lesion.axis);
  const usable = axis.length ? axis : (list ?? []).filter((m) => m.kind === 'diameter');
  if (!usable.length) return undefined;
  const sorted = [...usable].sort((a, b) => b.study.time - a.study.time || b.tenths - a.tenths);
  return { measurement: sorted[0]!, count: usable.length };
}
