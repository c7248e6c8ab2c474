/**
 * Reading a DICOM SR content tree in the DICOM JSON model (PS3.18 F): content items, their
 * concept names, values and children. Pure; no FHIR here.
 */
import type { DicomJson } from '../../dicom/types.js';

export const T = {
  SOPClassUID: '00080016',
  SOPInstanceUID: '00080018',
  ContentDate: '00080023',
  ContentTime: '00080033',
  Modality: '00080060',
  Manufacturer: '00080070',
  TimezoneOffsetFromUTC: '00080201',
  ManufacturerModelName: '00081090',
  ReferencedSeriesSequence: '00081115',
  ReferencedSOPInstanceUID: '00081155',
  ReferencedSOPSequence: '00081199',
  CodeValue: '00080100',
  CodingSchemeDesignator: '00080102',
  CodeMeaning: '00080104',
  LongCodeValue: '00080119',
  URNCodeValue: '00080120',
  MappingResource: '00080105',
  MeasurementUnitsCodeSequence: '004008EA',
  DeviceSerialNumber: '00181000',
  SoftwareVersions: '00181020',
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  RelationshipType: '0040A010',
  ValueType: '0040A040',
  ConceptNameCodeSequence: '0040A043',
  TextValue: '0040A160',
  FloatingPointValue: '0040A161',
  ConceptCodeSequence: '0040A168',
  UID: '0040A124',
  ObservationUID: '0040A171',
  MeasuredValueSequence: '0040A300',
  NumericValue: '0040A30A',
  CurrentRequestedProcedureEvidenceSequence: '0040A375',
  ContentTemplateSequence: '0040A504',
  ContentSequence: '0040A730',
  TemplateIdentifier: '0040DB00',
} as const;

export interface SrCode {
  value?: string;
  scheme?: string;
  meaning?: string;
}

/** First value as text (numbers as decimal text); undefined when absent or blank. */
export function text(json: DicomJson, tag: string): string | undefined {
  const v = json[tag]?.Value?.[0];
  if (typeof v === 'string') return v.trim() === '' ? undefined : v.trim();
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

export function texts(json: DicomJson, tag: string): string[] {
  return (json[tag]?.Value ?? [])
    .map((v) => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : ''))
    .filter((v) => v !== '');
}

export function items(json: DicomJson, tag: string): DicomJson[] {
  return (json[tag]?.Value ?? []).filter((v): v is DicomJson => !!v && typeof v === 'object');
}

/** The code of a code sequence item (Code Value, Long Code Value or URN Code Value). */
export function codeOf(item: DicomJson | undefined): SrCode | undefined {
  if (!item) return undefined;
  const value = text(item, T.CodeValue) ?? text(item, T.LongCodeValue) ?? text(item, T.URNCodeValue);
  const scheme = text(item, T.CodingSchemeDesignator);
  const meaning = text(item, T.CodeMeaning);
  if (!value && !meaning) return undefined;
  return { ...(value ? { value } : {}), ...(scheme ? { scheme } : {}), ...(meaning ? { meaning } : {}) };
}

/** One content item of the tree (or the root: the dataset itself). */
export class ContentItem {
  constructor(readonly json: DicomJson) {}

  get valueType(): string | undefined {
    return text(this.json, T.ValueType)?.toUpperCase();
  }

  get relationship(): string | undefined {
    return text(this.json, T.RelationshipType)?.toUpperCase();
  }

  get name(): SrCode | undefined {
    return codeOf(items(this.json, T.ConceptNameCodeSequence)[0]);
  }

  /** True when the concept name is (value, scheme); the scheme is compared without case, SRT accepted for SCT. */
  is(value: string, scheme: string): boolean {
    const n = this.name;
    if (n?.value !== value) return false;
    const s = n.scheme?.toUpperCase();
    return s === scheme || (scheme === 'SCT' && s === 'SRT');
  }

  get children(): ContentItem[] {
    return items(this.json, T.ContentSequence).map((c) => new ContentItem(c));
  }

  child(value: string, scheme: string): ContentItem | undefined {
    return this.children.find((c) => c.is(value, scheme));
  }

  /** Every descendant, depth first (not the item itself). */
  *descendants(): Generator<ContentItem> {
    for (const c of this.children) {
      yield c;
      yield* c.descendants();
    }
  }

  get code(): SrCode | undefined {
    return codeOf(items(this.json, T.ConceptCodeSequence)[0]);
  }

  get textValue(): string | undefined {
    return text(this.json, T.TextValue);
  }

  get uid(): string | undefined {
    return text(this.json, T.UID);
  }

  /** A NUM item's value and unit; undefined without a (finite) value. */
  get numeric(): { value: number; unit?: SrCode } | undefined {
    const mv = items(this.json, T.MeasuredValueSequence)[0];
    if (!mv) return undefined;
    const raw = mv[T.FloatingPointValue]?.Value?.[0] ?? mv[T.NumericValue]?.Value?.[0];
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (!Number.isFinite(value)) return undefined;
    const unit = codeOf(items(mv, T.MeasurementUnitsCodeSequence)[0]);
    return { value, ...(unit ? { unit } : {}) };
  }

  /** SOP Instance UIDs this item references (IMAGE, COMPOSITE). */
  get referencedInstances(): string[] {
    return items(this.json, T.ReferencedSOPSequence)
      .map((r) => text(r, T.ReferencedSOPInstanceUID))
      .filter((u): u is string => !!u);
  }
}
