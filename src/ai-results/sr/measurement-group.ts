/**
 * One Measurement Group (125007; TID 1501 / 1410 / 1411) → findings of the AI results input:
 * the Finding (121071), each numeric measurement (TID 300) and each qualitative evaluation,
 * all sharing the group's finding site, laterality, tracking identifiers and image references.
 */
import type { FindingInput } from '../input.js';
import { CODES, codeInput, LATERALITY_VALUES, type Concept } from './codes.js';
import type { ContentItem, SrCode } from './content.js';
import { own } from '../../core/own.js';

/** Group items that describe the group (not an evaluation of their own). */
const QUALIFIERS: Concept[] = [
  CODES.Finding,
  CODES.FindingSite,
  CODES.Laterality,
  CODES.FindingCategory,
  CODES.MeasurementMethod,
  CODES.TopographicalModifier,
  CODES.TrackingIdentifier,
  CODES.TrackingUniqueIdentifier,
  CODES.AlgorithmName,
  CODES.AlgorithmVersion,
  CODES.SourceSeriesForSegmentation,
];

export interface GroupContext {
  /** SOP Instance UID → Series Instance UID, from the SR's evidence sequences. */
  seriesOf: Map<string, string>;
  /** Where problems that do not stop the reading are written. */
  note: (text: string) => void;
  label: string;
}

export interface GroupReading {
  findings: FindingInput[];
  algorithm?: { name?: string; version?: string };
}

const is = (item: ContentItem, c: Concept) => item.is(c[0], c[1]);
const find = (item: ContentItem, c: Concept) => item.children.find((x) => is(x, c));
const label = (c: SrCode | undefined) => c?.meaning ?? c?.value ?? '?';

export function readMeasurementGroup(group: ContentItem, ctx: GroupContext): GroupReading {
  const common: Omit<FindingInput, 'code'> = {};
  const trackingId = find(group, CODES.TrackingIdentifier)?.textValue;
  const trackingUid = find(group, CODES.TrackingUniqueIdentifier)?.uid;
  if (trackingId) common.trackingId = trackingId;
  if (trackingUid) common.trackingUid = trackingUid;

  const site = find(group, CODES.FindingSite);
  if (site?.code) common.bodySite = codeInput(site.code);
  const lateralityCode = (site && find(site, CODES.Laterality)?.code) ?? find(group, CODES.Laterality)?.code;
  if (lateralityCode) {
    const laterality = lateralityCode.value ? own(LATERALITY_VALUES, lateralityCode.value) : undefined;
    if (laterality) common.laterality = laterality;
    else ctx.note(`${ctx.label}: laterality ${label(lateralityCode)} is not left, right or bilateral; left out`);
  }
  Object.assign(common, imageReferences(group, ctx));

  const findings: FindingInput[] = [];
  const finding = find(group, CODES.Finding)?.code;
  if (finding) findings.push({ code: codeInput(finding), ...common });
  for (const item of group.children) {
    if (QUALIFIERS.some((c) => is(item, c))) continue;
    const name = item.name;
    if (item.valueType === 'NUM') {
      const n = item.numeric;
      if (!name) ctx.note(`${ctx.label}: a measurement without a concept name; left out`);
      else if (!n) ctx.note(`${ctx.label}: measurement ${label(name)} has no numeric value; left out`);
      else {
        if (!n.unit?.value) ctx.note(`${ctx.label}: measurement ${label(name)} has no units; given as UCUM 1`);
        else if (n.unit.scheme?.toUpperCase() !== 'UCUM')
          ctx.note(`${ctx.label}: measurement ${label(name)} has units of scheme ${n.unit.scheme ?? '?'}, not UCUM`);
        findings.push({
          code: codeInput(name),
          measurement: { value: n.value, unit: n.unit?.value ?? '1' },
          ...common,
        });
      }
    } else if (item.valueType === 'CODE' && name && item.code && item.relationship !== 'HAS OBS CONTEXT') {
      // A qualitative evaluation: the value is the finding, the name says what was evaluated.
      findings.push({ code: codeInput(item.code, `${label(name)}: ${label(item.code)}`), ...common });
    } else if (item.valueType === 'TEXT' && name && item.textValue && item.relationship !== 'HAS OBS CONTEXT') {
      findings.push({ code: `${label(name)}: ${item.textValue}`, ...common });
    }
  }
  const reading: GroupReading = { findings };
  const algorithm = algorithmOf(group);
  if (algorithm) reading.algorithm = algorithm;
  return reading;
}

/** TID 4019 Algorithm Identification anywhere in the group (on the group or on a measurement). */
function algorithmOf(group: ContentItem): { name?: string; version?: string } | undefined {
  let name: string | undefined;
  let version: string | undefined;
  for (const d of group.descendants()) {
    if (!name && is(d, CODES.AlgorithmName)) name = d.textValue;
    if (!version && is(d, CODES.AlgorithmVersion)) version = d.textValue;
  }
  return name || version ? { ...(name ? { name } : {}), ...(version ? { version } : {}) } : undefined;
}

/**
 * Images the group was measured on: IMAGE items (e.g. under an Image Region SCOORD), a
 * Referenced Segment, or the Source series for segmentation. The input takes one series: the
 * first referenced one, with its instances; references to other series are noted.
 */
function imageReferences(group: ContentItem, ctx: GroupContext): Pick<FindingInput, 'seriesUid' | 'instanceUids'> {
  const bySeries = new Map<string, string[]>();
  let unknown = 0;
  for (const d of group.descendants()) {
    if (d.valueType !== 'IMAGE') continue;
    for (const uid of d.referencedInstances) {
      const series = ctx.seriesOf.get(uid);
      if (!series) {
        unknown++;
        continue;
      }
      const list = bySeries.get(series) ?? [];
      if (!list.includes(uid)) list.push(uid);
      bySeries.set(series, list);
    }
  }
  const sourceSeries = find(group, CODES.SourceSeriesForSegmentation)?.uid;
  if (unknown)
    ctx.note(
      `${ctx.label}: ${unknown} referenced instance(s) are not in the evidence sequence; their series is unknown`,
    );
  const [first, ...others] = [...bySeries.entries()];
  if (!first) return sourceSeries ? { seriesUid: sourceSeries } : {};
  if (others.length)
    ctx.note(`${ctx.label}: images of ${others.length + 1} series are referenced; only series ${first[0]} is kept`);
  return { seriesUid: first[0], instanceUids: first[1] };
}
