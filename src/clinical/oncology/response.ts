/**
 * The RECIST 1.1 categories over sums in tenths of a millimetre. Thresholds are compared as
 * integers (cross-multiplied), so 42 mm against a nadir of 35 mm is exactly +20 %.
 */
import type { NonTargetResponse, OverallResponse, TargetResponse } from './types.js';

/** Sum ≥ 30 % below the baseline sum: 10·sum ≤ 7·baseline. */
export const isPartialResponse = (sum: number, baseline: number): boolean => 10 * sum <= 7 * baseline;

/** Sum ≥ 20 % above the nadir (100·(sum − nadir) ≥ 20·nadir) and ≥ 5 mm above it. */
export const isProgression = (sum: number, nadir: number): boolean => 5 * (sum - nadir) >= nadir && sum - nadir >= 50;

export interface TargetValue {
  nodal: boolean;
  /** Tenths of a millimetre; undefined when not measured at this time point. */
  tenths: number | undefined;
}

export function targetResponse(
  targets: TargetValue[],
  baseline: number,
  nadir: number,
): { response: Exclude<TargetResponse, 'baseline'>; sum: number; complete: boolean } {
  const measured = targets.flatMap((t) => (t.tenths === undefined ? [] : [t.tenths]));
  const sum = measured.reduce((s, t) => s + t, 0);
  if (targets.length === 0) return { response: 'NE', sum, complete: false };
  if (measured.length < targets.length)
    // A missing target makes it NE, unless the measured ones already show progression.
    return { response: isProgression(sum, nadir) ? 'PD' : 'NE', sum, complete: false };
  const cr = targets.every((t) => (t.nodal ? t.tenths! < 100 : t.tenths === 0));
  if (cr) return { response: 'CR', sum, complete: true };
  if (isProgression(sum, nadir)) return { response: 'PD', sum, complete: true };
  if (isPartialResponse(sum, baseline)) return { response: 'PR', sum, complete: true };
  return { response: 'SD', sum, complete: true };
}

export function nonTargetResponse(nonTargets: TargetValue[], clinicianProgression: boolean): NonTargetResponse {
  if (nonTargets.length === 0) return clinicianProgression ? 'PD' : 'none';
  if (clinicianProgression) return 'PD';
  const present = nonTargets.some((t) => t.tenths !== undefined && (t.nodal ? t.tenths >= 100 : t.tenths > 0));
  if (present) return 'non-CR/non-PD';
  if (nonTargets.some((t) => t.tenths === undefined)) return 'NE';
  return 'CR';
}

/** RECIST 1.1 Table 1 (targets, with or without non-targets) and Table 2 (non-targets only). */
export function overallResponse(
  target: Exclude<TargetResponse, 'baseline'>,
  nonTarget: NonTargetResponse,
  newLesions: boolean,
  hasTargets: boolean,
): OverallResponse {
  if (newLesions || target === 'PD' || nonTarget === 'PD') return 'PD';
  if (!hasTargets) {
    if (nonTarget === 'CR') return 'CR';
    // Table 2's non-CR/non-PD is reported as SD here (the category list has no other name for it).
    if (nonTarget === 'non-CR/non-PD') return 'SD';
    return 'NE';
  }
  if (target === 'CR') return nonTarget === 'CR' || nonTarget === 'none' ? 'CR' : 'PR';
  if (target === 'PR') return 'PR';
  if (target === 'SD') return 'SD';
  return 'NE';
}
