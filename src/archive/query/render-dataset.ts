import { renderMetadata } from '../metadata-text.js';
import type { DicomJson, DicomJsonAttribute } from '../../dicom/types.js';
import { aliasOf, type IndexedAttribute } from './indexed-attributes.js';
import { SOURCE_ALIAS } from './json-sources.js';
import type { ReturnPlan } from './return-plan.js';

export type ResultRow = Record<string, unknown>;

/** Values in our responses are JSON strings, i.e. Unicode, whatever the stored objects use. */
export const UNICODE = 'ISO_IR 192';

/** One search result as DICOM JSON (PS3.18 F.2), keys in tag order. */
export function renderDataset(row: ResultRow, plan: ReturnPlan, dicomWebBase: string): DicomJson {
  const out: DicomJson = {};
  for (const a of plan.columns) putColumn(out, a, row);
  for (const [source, want] of plan.stored) {
    // Bulk data is dropped below, so its stored marker is rendered against an empty base.
    const json = JSON.parse(renderMetadata(row[SOURCE_ALIAS[source]] as string, '')) as DicomJson;
    if (want === 'all') {
      for (const [tag, attr] of Object.entries(json)) putStored(out, tag, attr);
    } else {
      for (const tag of want) {
        const attr = json[tag];
        if (attr) putStored(out, tag, attr);
        else out[tag] = { vr: plan.vrOf.get(tag)! };
      }
    }
  }
  // What the index keeps (aggregates, our character set, URLs) wins over stored copies.
  for (const a of plan.columns) if (a.owned) putColumn(out, a, row);
  out['00081190'] = { vr: 'UR', Value: [retrieveUrl(row, plan, dicomWebBase)] };
  return sortedByTag(out);
}

function putColumn(out: DicomJson, a: IndexedAttribute, row: ResultRow): void {
  if (a.render === 'computed') {
    if (a.keyword === 'SpecificCharacterSet') out[a.tag] = { vr: a.vr, Value: [UNICODE] };
    if (a.keyword === 'InstanceAvailability') out[a.tag] = { vr: a.vr, Value: ['ONLINE'] };
    return;
  }
  const v = row[aliasOf(a.tag)];
  const empty = v === null || v === undefined || v === '';
  if (empty) {
    if (a.render !== 'optional') out[a.tag] = { vr: a.vr };
    return;
  }
  switch (a.render) {
    case 'number':
      out[a.tag] = { vr: a.vr, Value: [Number(v)] };
      break;
    case 'multi':
      out[a.tag] = { vr: a.vr, Value: String(v).split('\\') };
      break;
    case 'pn':
      out[a.tag] = { vr: a.vr, Value: [personName(String(v))] };
      break;
    default:
      out[a.tag] = { vr: a.vr, Value: [String(v)] };
  }
}

/** `alphabetic=ideographic=phonetic` → the DICOM JSON PN object, empty groups left out. */
export function personName(text: string): Record<string, string> {
  const [alphabetic = '', ideographic = '', phonetic = ''] = text.split('=');
  const pn: Record<string, string> = {};
  if (alphabetic) pn.Alphabetic = alphabetic;
  if (ideographic) pn.Ideographic = ideographic;
  if (phonetic) pn.Phonetic = phonetic;
  return pn;
}

function putStored(out: DicomJson, tag: string, attr: DicomJsonAttribute): void {
  const clean = withoutBulkData(attr);
  if (clean) out[tag] = clean;
}

/** Bulk data (BulkDataURI, InlineBinary) is not part of a QIDO-RS response, also inside sequences. */
function withoutBulkData(attr: DicomJsonAttribute): DicomJsonAttribute | undefined {
  if (attr.BulkDataURI !== undefined || attr.InlineBinary !== undefined) return undefined;
  if (attr.vr !== 'SQ' || !attr.Value) return attr;
  const items = (attr.Value as DicomJson[]).map((item) => {
    const kept: DicomJson = {};
    for (const [tag, inner] of Object.entries(item ?? {})) {
      const clean = withoutBulkData(inner);
      if (clean) kept[tag] = clean;
    }
    return kept;
  });
  return { vr: 'SQ', Value: items };
}

export function retrieveUrl(row: ResultRow, plan: ReturnPlan, base: string): string {
  const study = `${base}/studies/${row[aliasOf('0020000D')]}`;
  if (plan.level === 'study') return study;
  const series = `${study}/series/${row[aliasOf('0020000E')]}`;
  if (plan.level === 'series') return series;
  return `${series}/instances/${row[aliasOf('00080018')]}`;
}

function sortedByTag(json: DicomJson): DicomJson {
  const sorted: DicomJson = {};
  for (const tag of Object.keys(json).sort()) sorted[tag] = json[tag]!;
  return sorted;
}
