/**
 * Is this ImagingStudy a head CT/MR (the trigger of the automatic check)? A modality of the
 * configured list, and the configured pattern found in a body part, procedure code, reason or
 * description of the study or its series (CT angiography / perfusion of the head included).
 */
import type { ImagingStudy } from '@medplum/fhirtypes';
import { codings, conceptText } from './read.js';

export interface HeadStudyRule {
  modalities: string[];
  headPattern: string;
}

/** The default trigger: CT or MR of the head (HEADNECK, "CT Angiography Head and Neck", "CT perfusion brain" included). */
export const DEFAULT_HEAD_STUDY_RULE: HeadStudyRule = {
  modalities: ['CT', 'MR'],
  headPattern: '\\b(head|brain|skull|cerebr\\w*|neuro|cranial|intracranial|headneck|stroke)\\b|^head|^brain',
};

export function isHeadStudy(s: ImagingStudy, rule: HeadStudyRule): boolean {
  if (s.status === 'entered-in-error' || s.status === 'cancelled') return false;
  const modalities = new Set([
    ...(s.modality ?? []).map((m) => m.code),
    ...(s.series ?? []).map((x) => x.modality?.code),
  ]);
  if (!rule.modalities.some((m) => modalities.has(m))) return false;
  const pattern = new RegExp(rule.headPattern, 'i');
  const texts = [
    s.description,
    ...(s.procedureCode ?? []).flatMap((c) => [conceptText(c), ...codings(c).map((x) => x.code)]),
    ...(s.reasonCode ?? []).map(conceptText),
    ...(s.series ?? []).flatMap((x) => [x.description, x.bodySite?.display, x.bodySite?.code]),
  ];
  return texts.some((t) => typeof t === 'string' && pattern.test(t));
}
