/**
 * Target selection at baseline (RECIST 1.1): measurable lesions only (non-nodal long axis ≥ 10 mm,
 * nodal short axis ≥ 15 mm), at most 5 in all and 2 per organ, largest first, ties by tracking id.
 * A clinician's recorded selection (an Observation, docs/oncology.md) replaces the rule's.
 */
import type { Observation } from '@medplum/fhirtypes';
import { hasCoding, ONCOLOGY_SYSTEM, refId, time } from './fhir.js';
import { chooseMeasurement, type Lesion, type RawTimepoint } from './lesions.js';
import type { TargetSelection } from './types.js';

export const TARGET_SELECTION = 'recist-target-selection';
export const MAX_TARGETS = 5;
export const MAX_PER_ORGAN = 2;
const MEASURABLE_TENTHS = 100;
const MEASURABLE_NODE_TENTHS = 150;

export const measurable = (lesion: Lesion, tenths: number): boolean =>
  tenths >= (lesion.nodal ? MEASURABLE_NODE_TENTHS : MEASURABLE_TENTHS);

export interface Selection extends TargetSelection {
  keys: Set<string>;
  warnings: string[];
}

export function selectTargets(
  baseline: RawTimepoint,
  lesions: Map<string, Lesion>,
  observations: Observation[],
): Selection {
  const recorded = clinicianSelection(observations);
  if (recorded) return applyClinician(recorded, baseline, lesions);
  const candidates = [...baseline.byLesion.keys()]
    .map((key) => ({
      lesion: lesions.get(key)!,
      tenths: chooseMeasurement(lesions.get(key)!, baseline.byLesion.get(key))?.measurement.tenths,
    }))
    .filter((c): c is { lesion: Lesion; tenths: number } => c.tenths !== undefined && measurable(c.lesion, c.tenths))
    .sort((a, b) => b.tenths - a.tenths || a.lesion.label.localeCompare(b.lesion.label));
  const keys = new Set<string>();
  const perOrgan = new Map<string, number>();
  for (const c of candidates) {
    if (keys.size >= MAX_TARGETS) break;
    const n = perOrgan.get(c.lesion.organ) ?? 0;
    if (n >= MAX_PER_ORGAN) continue;
    perOrgan.set(c.lesion.organ, n + 1);
    keys.add(c.lesion.key);
  }
  return { by: 'rules', targets: labels(keys, lesions), keys, warnings: [] };
}

/** The latest final/amended Observation of our code `recist-target-selection` (focus: the targets). */
function clinicianSelection(observations: Observation[]): Observation | undefined {
  return observations
    .filter(
      (o) =>
        hasCoding(o.code, ONCOLOGY_SYSTEM, TARGET_SELECTION) && ['final', 'amended', 'corrected'].includes(o.status),
    )
    .sort((a, b) => (when(b) ?? 0) - (when(a) ?? 0))[0];
}

const when = (o: Observation): number | undefined => time(o.issued) ?? time(o.effectiveDateTime);

function applyClinician(o: Observation, baseline: RawTimepoint, lesions: Map<string, Lesion>): Selection {
  const byStructure = new Map(
    [...lesions.values()].flatMap((l) => (l.bodyStructure ? [[l.bodyStructure, l] as const] : [])),
  );
  const keys = new Set<string>();
  const warnings: string[] = [];
  for (const f of o.focus ?? []) {
    const lesion = byStructure.get(refId(f, 'BodyStructure') ?? '');
    if (!lesion) {
      warnings.push(`target selection Observation/${o.id}: ${f.reference ?? 'a focus'} is not a measured lesion`);
      continue;
    }
    if (!baseline.byLesion.has(lesion.key)) {
      warnings.push(`target selection: ${lesion.label} was not measured at baseline and cannot be a target`);
      continue;
    }
    const tenths = chooseMeasurement(lesion, baseline.byLesion.get(lesion.key))?.measurement.tenths ?? 0;
    if (!measurable(lesion, tenths))
      warnings.push(`target selection: ${lesion.label} is not measurable at baseline (RECIST 1.1) but was chosen`);
    keys.add(lesion.key);
  }
  if (keys.size > MAX_TARGETS) warnings.push(`target selection: ${keys.size} targets chosen, RECIST 1.1 allows 5`);
  const recordedBy = o.performer?.[0]?.display ?? o.performer?.[0]?.reference;
  const recordedAt = o.issued ?? o.effectiveDateTime;
  return {
    by: 'clinician',
    targets: labels(keys, lesions),
    keys,
    observation: `Observation/${o.id}`,
    ...(recordedBy ? { recordedBy } : {}),
    ...(recordedAt ? { recordedAt } : {}),
    warnings,
  };
}

const labels = (keys: Set<string>, lesions: Map<string, Lesion>): string[] =>
  [...keys].map((k) => lesions.get(k)!.label);
