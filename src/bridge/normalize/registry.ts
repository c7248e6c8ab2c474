/**
 * Runs the normalization rules in a fixed order: first every instance rule on each instance,
 * then the study rules over the corrected instances. Each finding is stamped with the
 * instance's SOPInstanceUID and source (AE title from the context, station and manufacturer
 * from the instance), and its severity is overridden by the source profile when configured.
 */
import type { DicomJson } from '../../dicom/types.js';
import { str, TAG } from '../mapping/dicom-read.js';
import { bodyPart } from './body-part.js';
import { characterSet } from './character-set.js';
import { codeStringCase } from './code-string-case.js';
import { conflictingPatient } from './conflicting-patient.js';
import { dates } from './dates.js';
import { duplicateInstances } from './duplicate-instances.js';
import { integerStrings } from './integer-strings.js';
import { modality } from './modality.js';
import { patientId } from './patient-id.js';
import { patientSex } from './patient-sex.js';
import { personNames } from './person-names.js';
import { requiredAttributes } from './required-attributes.js';
import { stringPadding } from './string-padding.js';
import { times } from './times.js';
import type {
  Finding,
  FindingSource,
  InstanceRule,
  NormalizeContext,
  RuleResult,
  SourceProfile,
  StudyRule,
} from './types.js';
import { uids } from './uids.js';

/** Order matters: text is repaired before it is trimmed, trimmed before it is parsed, checked for presence last. */
export const INSTANCE_RULES: readonly InstanceRule[] = [
  characterSet,
  stringPadding,
  codeStringCase,
  personNames,
  uids,
  dates,
  times,
  integerStrings,
  modality,
  bodyPart,
  patientSex,
  patientId,
  requiredAttributes,
];

export const STUDY_RULES: readonly StudyRule[] = [duplicateInstances, conflictingPatient];

export interface NormalizedStudy {
  instances: DicomJson[];
  findings: Finding[];
  /** True when any finding has severity error: the caller must hold the study in quarantine. */
  quarantine: boolean;
}

/** The source profile's severity override for the finding's rule (or `rule@tag`), when it has one. */
export function applyProfile(f: Finding, profile: SourceProfile): Finding {
  const severity = profile.severity?.[`${f.rule}@${f.tag}`] ?? profile.severity?.[f.rule];
  return severity && severity !== f.severity ? { ...f, severity } : f;
}

function sourceOf(json: DicomJson, ctx: NormalizeContext): FindingSource | undefined {
  const source: FindingSource = { ...ctx.source };
  const station = str(json, TAG.StationName);
  const manufacturer = str(json, TAG.Manufacturer);
  if (station) source.station = station;
  if (manufacturer) source.manufacturer = manufacturer;
  return Object.keys(source).length ? source : undefined;
}

function stamp(f: Finding, json: DicomJson, ctx: NormalizeContext): Finding {
  const sopInstanceUid = f.sopInstanceUid ?? str(json, TAG.SOPInstanceUID);
  const source = sourceOf(json, ctx);
  return applyProfile(
    { ...f, ...(sopInstanceUid ? { sopInstanceUid } : {}), ...(source ? { source } : {}) },
    ctx.profile,
  );
}

/** All instance rules over one instance. The input is never modified. */
export function normalizeInstance(json: DicomJson, ctx: NormalizeContext): RuleResult {
  let current = json;
  const raw: Finding[] = [];
  for (const rule of INSTANCE_RULES) {
    const result = rule.apply(current, ctx);
    current = result.json;
    raw.push(...result.findings);
  }
  return { json: current, findings: raw.map((f) => stamp(f, current, ctx)) };
}

/** Instance rules on each instance, then the study rules over all of them. */
export function normalizeStudy(instances: DicomJson[], ctx: NormalizeContext): NormalizedStudy {
  const findings: Finding[] = [];
  let current = instances.map((json) => {
    const r = normalizeInstance(json, ctx);
    findings.push(...r.findings);
    return r.json;
  });
  for (const rule of STUDY_RULES) {
    const result = rule.apply(current, ctx);
    current = result.instances;
    findings.push(
      ...result.findings.map((f) => applyProfile(ctx.source ? { ...f, source: ctx.source } : f, ctx.profile)),
    );
  }
  return { instances: current, findings: collapse(findings), quarantine: findings.some((f) => f.severity === 'error') };
}

/** The same finding in every instance of a study is reported once, with how often it occurred. */
function collapse(findings: Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of findings) {
    const key = JSON.stringify([f.rule, f.severity, f.tag, f.original, f.corrected, f.message, f.source]);
    const seen = byKey.get(key);
    if (seen) seen.occurrences = (seen.occurrences ?? 1) + 1;
    else byKey.set(key, { ...f });
  }
  return [...byKey.values()];
}
