/**
 * The serial comparison: measurements → lesions → time points → baseline → targets → sums →
 * target / non-target / new → overall response per time point, with its reasons and warnings.
 */
import type { BodyStructure, ImagingStudy, Observation } from '@medplum/fhirtypes';
import { codings, day, DAY, hasCoding, mm, ONCOLOGY_SYSTEM, pct, refId, time } from './fhir.js';
import { chooseMeasurement, describeLesions, groupTimepoints, type Lesion, type RawTimepoint } from './lesions.js';
import { readMeasurements } from './measurements.js';
import { nonTargetResponse, overallResponse, targetResponse, type TargetValue } from './response.js';
import { selectTargets } from './targets.js';
import type { LesionAtTimepoint, Role, TargetSelection, Timepoint } from './types.js';

export const NON_TARGET_PROGRESSION = 'non-target-progression';
const GAP_MS = 12 * 7 * DAY;

export interface RecistInput {
  observations: Observation[];
  bodyStructures: BodyStructure[];
  studies: ImagingStudy[];
  nodalSites: ReadonlySet<string>;
  baseline?: string;
}

export interface RecistResult {
  timepoints: Timepoint[];
  targetSelection: TargetSelection | null;
  warnings: string[];
  /** Set when `baseline` names no time point of the measurements. */
  baselineNotFound?: boolean;
}

export function compareSerialImaging(input: RecistInput): RecistResult {
  const { measurements, warnings } = readMeasurements(input.observations, input.bodyStructures, input.studies);
  let raw = groupTimepoints(measurements);
  if (raw.length === 0) {
    warnings.push('no lesion measurements (SNOMED 103339001 / 103340004 / 81827009) with a study: nothing to compare');
    return { timepoints: [], targetSelection: null, warnings };
  }
  if (input.baseline) {
    const at = raw.findIndex((tp) => tp.studies.some((s) => s.studyInstanceUid === input.baseline));
    if (at < 0) return { timepoints: [], targetSelection: null, warnings, baselineNotFound: true };
    if (at > 0) warnings.push(`${at} earlier time point(s) before the chosen baseline are not compared`);
    raw = raw.slice(at);
  }
  const lesions = describeLesions(
    measurements.filter((m) => raw.some((tp) => tp.byLesion.has(m.lesionKey))),
    input.nodalSites,
  );
  const base = raw[0]!;
  const selection = selectTargets(base, lesions, input.observations);
  warnings.push(...selection.warnings);
  const targets = [...selection.keys].map((k) => lesions.get(k)!);
  const nonTargets = [...base.byLesion.keys()].filter((k) => !selection.keys.has(k)).map((k) => lesions.get(k)!);
  const progression = clinicianProgression(input.observations, raw);

  const out: Timepoint[] = [];
  const value = (l: Lesion, tp: RawTimepoint) => chooseMeasurement(l, tp.byLesion.get(l.key));
  const baseSum = targets.reduce((s, l) => s + (value(l, base)?.measurement.tenths ?? 0), 0);
  let nadir = baseSum;
  raw.forEach((tp, index) => {
    const reasons: string[] = [];
    const listed = (l: Lesion, role: Role): LesionAtTimepoint => lesionRow(l, role, value(l, tp));
    for (const l of targets) {
      const c = value(l, tp);
      if (c && c.count > 1)
        warnings.push(
          `timepoint ${index}: target lesion ${l.label} has ${c.count} measurements; ${c.measurement.observation} was used (latest study, then largest)`,
        );
    }
    const newOnes = [...tp.byLesion.keys()]
      .filter((k) => !base.byLesion.has(k))
      .map((k) => lesions.get(k)!)
      .filter((l) => (value(l, tp)?.measurement.tenths ?? 0) > 0);
    const rows = [
      ...targets.map((l) => listed(l, 'target')),
      ...nonTargets.map((l) => listed(l, 'non-target')),
      ...newOnes.map((l) => listed(l, 'new')),
    ];
    const common = {
      index,
      date: day(tp.time),
      studies: tp.studies.map((s) => ({
        ...(s.studyInstanceUid ? { studyInstanceUid: s.studyInstanceUid } : {}),
        imagingStudy: s.reference,
        ...(s.description ? { description: s.description } : {}),
        ...(s.started ? { started: s.started } : {}),
        ...(s.modality ? { modality: s.modality } : {}),
      })),
      lesions: rows,
    };
    if (index === 0) {
      reasons.push(
        targets.length
          ? `${targets.length} target lesion(s) (${selection.by === 'clinician' ? 'chosen by a clinician' : 'chosen by the rules'}), sum ${mm(baseSum)} mm`
          : 'no measurable lesion, no target',
      );
      out.push({
        ...common,
        sumMm: targets.length ? mm(baseSum) : null,
        changeFromBaselinePct: null,
        changeFromNadirPct: null,
        nadirMm: targets.length ? mm(baseSum) : null,
        targetResponse: 'baseline',
        nonTargetResponse: 'none',
        newLesions: false,
        overallResponse: 'baseline',
        reasons,
      });
      return;
    }
    const tv = (l: Lesion): TargetValue => ({ nodal: l.nodal, tenths: value(l, tp)?.measurement.tenths });
    const t = targetResponse(targets.map(tv), baseSum, nadir);
    for (const l of targets)
      if (value(l, tp) === undefined) {
        warnings.push(`timepoint ${index}: no measurement for target lesion ${l.label} (NE)`);
        reasons.push(`target ${l.label} not measured`);
      }
    reasons.push(...targetReasons(t.response, t.sum, baseSum, nadir, t.complete));
    const clinicianPd = progression.has(index);
    const nt = nonTargetResponse(nonTargets.map(tv), clinicianPd);
    if (clinicianPd) reasons.push(`non-target progression recorded by a clinician (${progression.get(index)})`);
    if (newOnes.length) reasons.push(`new lesion(s): ${newOnes.map((l) => l.label).join(', ')}`);
    const overall = overallResponse(t.response, nt, newOnes.length > 0, targets.length > 0);
    out.push({
      ...common,
      sumMm: t.complete ? mm(t.sum) : null,
      changeFromBaselinePct: t.complete ? pct(t.sum, baseSum) : null,
      changeFromNadirPct: t.complete ? pct(t.sum, nadir) : null,
      nadirMm: targets.length ? mm(nadir) : null,
      targetResponse: t.response,
      nonTargetResponse: nt,
      newLesions: newOnes.length > 0,
      overallResponse: overall,
      reasons,
    });
    if (t.complete) nadir = Math.min(nadir, t.sum);
  });
  warnings.push(...gapWarnings(raw), ...modalityWarnings(raw, lesions));
  const { keys: _keys, warnings: _warnings, ...shown } = selection;
  return {
    timepoints: out,
    targetSelection: targets.length || selection.by === 'clinician' ? shown : null,
    warnings,
  };
}

function lesionRow(l: Lesion, role: Role, c: ReturnType<typeof chooseMeasurement>): LesionAtTimepoint {
  const site = l.site ? codings(l.site).find((x) => x.code) : undefined;
  return {
    ...(l.trackingId ? { trackingId: l.trackingId } : {}),
    ...(l.trackingUid ? { trackingUid: l.trackingUid } : {}),
    ...(l.bodyStructure ? { bodyStructure: l.bodyStructure } : {}),
    ...(l.site
      ? {
          site: {
            ...(site?.system ? { system: site.system } : {}),
            ...(site?.code ? { code: site.code } : {}),
            ...((l.site.text ?? site?.display) ? { text: l.site.text ?? site?.display } : {}),
          },
        }
      : {}),
    nodal: l.nodal,
    role,
    axis: l.axis,
    valueMm: c ? mm(c.measurement.tenths) : null,
    ...(c ? { observation: c.measurement.observation } : {}),
    status: !c ? 'not-measured' : c.measurement.tenths === 0 ? 'disappeared' : 'measured',
  };
}

function targetReasons(response: string, sum: number, base: number, nadir: number, complete: boolean): string[] {
  if (!complete)
    return response === 'PD'
      ? [`the measured targets alone sum ${mm(sum)} mm, ≥ 20 % and ≥ 5 mm above the nadir ${mm(nadir)} mm`]
      : ['not every target was measured: the sum cannot be compared'];
  if (response === 'CR') return ['every non-nodal target has disappeared and every nodal target is < 10 mm'];
  const vsBase = pct(sum, base);
  const vsNadir = pct(sum, nadir);
  const baseText = `sum ${mm(sum)} mm is ${Math.abs(vsBase ?? 0)} % ${sum <= base ? 'below' : 'above'} baseline ${mm(base)} mm`;
  const nadirText = `${vsNadir === null ? '' : `${vsNadir >= 0 ? '+' : ''}${vsNadir} %, `}${sum - nadir >= 0 ? '+' : ''}${mm(sum - nadir)} mm vs nadir ${mm(nadir)} mm`;
  if (response === 'PD') return [`${nadirText} (≥ 20 % and ≥ 5 mm: progression)`, baseText];
  if (response === 'PR') return [`${baseText} (≥ 30 %: partial response)`, nadirText];
  return [`${baseText}; ${nadirText} (neither ≥ 30 % below baseline nor ≥ 20 % and 5 mm above nadir)`];
}

/**
 * Unequivocal non-target progression is a clinician's judgement: an Observation of our code
 * `non-target-progression` (valueBoolean true, final/amended), placed in a time point by its
 * derivedFrom study, else by its effective date (from the time point's first study to the next).
 */
function clinicianProgression(observations: Observation[], raw: RawTimepoint[]): Map<number, string> {
  const out = new Map<number, string>();
  for (const o of observations) {
    if (!hasCoding(o.code, ONCOLOGY_SYSTEM, NON_TARGET_PROGRESSION)) continue;
    if (!['final', 'amended', 'corrected'].includes(o.status) || o.valueBoolean === false) continue;
    const studies = new Set((o.derivedFrom ?? []).map((r) => refId(r, 'ImagingStudy')).filter((x) => x));
    let at = raw.findIndex((tp) => tp.studies.some((s) => studies.has(s.reference)));
    const t = time(o.effectiveDateTime);
    if (at < 0 && t !== undefined)
      at = raw.findIndex((tp, i) => t >= tp.time && (i + 1 === raw.length || t < raw[i + 1]!.time));
    if (at > 0) out.set(at, `Observation/${o.id}`);
  }
  return out;
}

function gapWarnings(raw: RawTimepoint[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < raw.length; i++) {
    const gap = raw[i]!.time - raw[i - 1]!.time;
    if (gap > GAP_MS) out.push(`gap of ${Math.round(gap / (7 * DAY))} weeks between timepoints ${i - 1} and ${i}`);
  }
  return out;
}

function modalityWarnings(raw: RawTimepoint[], lesions: Map<string, Lesion>): string[] {
  const out: string[] = [];
  for (const l of lesions.values()) {
    let previous: string | undefined;
    for (const tp of raw) {
      const modality = chooseMeasurement(l, tp.byLesion.get(l.key))?.measurement.study.modality;
      if (modality && previous && modality !== previous)
        out.push(`modality changed from ${previous} to ${modality} for ${l.label}`);
      if (modality) previous = modality;
    }
  }
  return out;
}
