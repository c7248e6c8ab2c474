/**
 * A DICOM SR Imaging Measurement Report (TID 1500, root concept 126000 DCM) in the DICOM JSON
 * model → the body of POST /api/ai-results (input.ts), so both become the same FHIR shape.
 * Pure: the caller decides what to do with an SR that is not TID 1500 or cannot be read.
 */
import type { DicomJson } from '../../dicom/types.js';
import { OperationOutcomeError } from '../../core/errors.js';
import { MAX_FINDINGS, parseAiResult, type AiResultInput, type FindingInput } from '../input.js';
import { CODES, codeInput, type Concept } from './codes.js';
import { ContentItem, items, T, text } from './content.js';
import { readMeasurementGroup } from './measurement-group.js';
import { modelOf } from './observer.js';

export type SrReading =
  /** Not a structured report (or a Key Object Selection, which carries no measurements). */
  | { kind: 'not-sr' }
  /** An SR of another template (e.g. a dose report): nothing to turn into AI results. */
  | { kind: 'other'; sopInstanceUid: string; reason: string }
  /** Says it is TID 1500 but cannot be turned into results: the reason says why. */
  | { kind: 'invalid'; sopInstanceUid: string; reason: string; notes: string[] }
  | { kind: 'report'; sopInstanceUid: string; input: AiResultInput; content: ContentDateTime; notes: string[] };

export interface ContentDateTime {
  date?: string;
  time?: string;
  /** TimezoneOffsetFromUTC, `+hhmm`. */
  offset?: string;
}

const SR_CLASS_PREFIX = '1.2.840.10008.5.1.4.1.1.88.';
const KEY_OBJECT_SELECTION = '1.2.840.10008.5.1.4.1.1.88.59';
const is = (item: ContentItem, c: Concept) => item.is(c[0], c[1]);

export function isTid1500(json: DicomJson): boolean {
  const root = new ContentItem(json);
  const template = items(json, T.ContentTemplateSequence)[0];
  return is(root, CODES.ImagingMeasurementReport) || (!!template && text(template, T.TemplateIdentifier) === '1500');
}

export function readTid1500(json: DicomJson): SrReading {
  const sopClass = text(json, T.SOPClassUID);
  const modality = text(json, T.Modality)?.toUpperCase();
  const sr = sopClass ? sopClass.startsWith(SR_CLASS_PREFIX) : modality === 'SR';
  if (!sr || sopClass === KEY_OBJECT_SELECTION || modality === 'KO') return { kind: 'not-sr' };
  const sopInstanceUid = text(json, T.SOPInstanceUID) ?? '';
  const root = new ContentItem(json);
  const template = items(json, T.ContentTemplateSequence)[0];
  const templateId = template ? text(template, T.TemplateIdentifier) : undefined;
  if (!isTid1500(json)) {
    const name = root.name;
    return {
      kind: 'other',
      sopInstanceUid,
      reason: `SR of ${templateId ? `template TID ${templateId}` : 'no declared template'} (root concept ${name?.value ?? '?'} ${name?.scheme ?? ''} "${name?.meaning ?? ''}"), not a TID 1500 measurement report: not turned into AI results`,
    };
  }
  const notes: string[] = [];
  const invalid = (reason: string): SrReading => ({ kind: 'invalid', sopInstanceUid, reason, notes });
  if (!is(root, CODES.ImagingMeasurementReport))
    return invalid(`declares TID 1500 but its root concept is not (126000, DCM, "Imaging Measurement Report")`);
  if (root.valueType !== 'CONTAINER') return invalid('the root content item is not a CONTAINER');
  if (root.children.length === 0) return invalid('the report has no content (Content Sequence empty)');

  const { seriesOf, studies } = evidence(json);
  const ownStudy = text(json, T.StudyInstanceUID);
  const studyInstanceUid = targetStudy(ownStudy, studies, (t) => notes.push(t));
  if (!studyInstanceUid)
    return invalid('neither the SR nor its evidence (Current Requested Procedure Evidence Sequence) names a study');

  const findings: FindingInput[] = [];
  let algorithm: { name?: string; version?: string } | undefined;
  let n = 0;
  for (const d of root.descendants()) {
    if (d.valueType !== 'CONTAINER' || !is(d, CODES.MeasurementGroup)) continue;
    const label = `Measurement Group ${++n}`;
    const g = readMeasurementGroup(d, { seriesOf, note: (t) => notes.push(t), label });
    if (g.findings.length === 0) notes.push(`${label}: no Finding, measurement or evaluation; left out`);
    findings.push(...g.findings);
    algorithm ??= g.algorithm;
  }
  findings.push(...reportEvaluations(root));
  if (findings.length === 0)
    return invalid(
      n
        ? `none of its ${n} Measurement Group(s) has a Finding, measurement or evaluation`
        : 'no Measurement Group (125007) and no qualitative evaluation',
    );
  if (findings.length > MAX_FINDINGS)
    return invalid(`${findings.length} findings; at most ${MAX_FINDINGS} are written per report`);

  const model = modelOf(json, root, algorithm, (t) => notes.push(t));
  if (typeof model === 'string') return invalid(model);
  const conclusion = conclusionOf(root);
  const input: AiResultInput = { studyInstanceUid, model, findings, ...(conclusion ? { conclusion } : {}) };
  try {
    parseAiResult(input);
  } catch (e) {
    if (!(e instanceof OperationOutcomeError)) throw e;
    return invalid(e.outcome.issue.map((i) => i.diagnostics).join('; '));
  }
  const content: ContentDateTime = {};
  const date = text(json, T.ContentDate);
  const time = text(json, T.ContentTime);
  const offset = text(json, T.TimezoneOffsetFromUTC);
  if (date) content.date = date;
  if (time) content.time = time;
  if (offset) content.offset = offset;
  return { kind: 'report', sopInstanceUid, input, content, notes };
}

/** Current Requested Procedure Evidence: the studies, and each referenced instance's series. */
function evidence(json: DicomJson): { seriesOf: Map<string, string>; studies: string[] } {
  const seriesOf = new Map<string, string>();
  const studies: string[] = [];
  for (const study of items(json, T.CurrentRequestedProcedureEvidenceSequence)) {
    const uid = text(study, T.StudyInstanceUID);
    if (uid && !studies.includes(uid)) studies.push(uid);
    for (const series of items(study, T.ReferencedSeriesSequence)) {
      const seriesUid = text(series, T.SeriesInstanceUID);
      if (!seriesUid) continue;
      for (const sop of items(series, T.ReferencedSOPSequence)) {
        const sopUid = text(sop, T.ReferencedSOPInstanceUID);
        if (sopUid) seriesOf.set(sopUid, seriesUid);
      }
    }
  }
  return { seriesOf, studies };
}

/** The SR's own study when the evidence includes it (the usual case), else the one study of the evidence. */
function targetStudy(own: string | undefined, studies: string[], note: (t: string) => void): string | undefined {
  if (studies.length === 0 || (own && studies.includes(own))) return own ?? studies[0];
  if (studies.length > 1)
    note(
      `the evidence names ${studies.length} studies, none of them the SR's own; the results go to the first, ${studies[0]}`,
    );
  return studies[0];
}

/** Report-level Qualitative Evaluations (C0034375 UMLS), except Impression / Conclusion. */
function reportEvaluations(root: ContentItem): FindingInput[] {
  const container = root.children.find((c) => is(c, CODES.QualitativeEvaluations));
  const out: FindingInput[] = [];
  for (const item of container?.children ?? []) {
    if (is(item, CODES.Impression) || is(item, CODES.Conclusion)) continue;
    const name = item.name?.meaning ?? item.name?.value ?? '?';
    if (item.valueType === 'CODE' && item.code)
      out.push({ code: codeInput(item.code, `${name}: ${item.code.meaning ?? item.code.value}`) });
    else if (item.valueType === 'TEXT' && item.textValue) out.push({ code: `${name}: ${item.textValue}` });
  }
  return out;
}

/** Every Impression (121073) and Conclusion (121077) of the report, in order. */
function conclusionOf(root: ContentItem): string | undefined {
  const parts: string[] = [];
  for (const d of root.descendants()) {
    if (!is(d, CODES.Impression) && !is(d, CODES.Conclusion)) continue;
    const v = d.textValue ?? d.code?.meaning;
    if (v && v.length <= 1024) parts.push(v);
  }
  const joined = parts.join('\n');
  return joined && joined.length <= 1024 ? joined : parts[0];
}
