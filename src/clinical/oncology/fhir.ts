/** Small readers of FHIR values used across the oncology rules (pure, tolerant of missing data). */
import type { CodeableConcept, Coding, Reference } from '@medplum/fhirtypes';

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const DICOM_UID = 'urn:dicom:uid';
export const TRACKING_ID = 'urn:imaging-bridge:tracking-id';
/** Our own codes: the clinician's target selection and non-target judgement (docs/oncology.md). */
export const ONCOLOGY_SYSTEM = 'urn:imaging-bridge:oncology';

export const DAY = 86_400_000;

export const codings = (c: CodeableConcept | undefined): Coding[] => c?.coding ?? [];

export const hasCoding = (c: CodeableConcept | undefined, system: string, code: string): boolean =>
  codings(c).some((x) => x.system === system && x.code === code);

export const codeIn = (
  c: CodeableConcept | undefined,
  system: string,
  codes: ReadonlySet<string>,
): string | undefined => codings(c).find((x) => x.system === system && !!x.code && codes.has(x.code))?.code;

export const conceptText = (c: CodeableConcept | undefined): string | undefined =>
  c?.text ?? codings(c).find((x) => x.display)?.display ?? codings(c)[0]?.code;

/** Epoch ms of a FHIR date/dateTime (a date alone is its UTC midnight). */
export function time(v: string | undefined): number | undefined {
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v.length === 4 ? `${v}-01-01` : v.length === 7 ? `${v}-01` : v);
  return Number.isNaN(ms) ? undefined : ms;
}

export const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** `Type/id` of a literal reference (absolute or relative), when it names that type. */
export function refId(r: Reference | undefined, type: string): string | undefined {
  const m = r?.reference?.match(/(?:^|\/)([A-Za-z]+)\/([^/]+)$/);
  return m && m[1] === type ? `${type}/${m[2]}` : undefined;
}

/** A StudyInstanceUID from a logical reference (`identifier` urn:dicom:uid | urn:oid:<uid>). */
export function refUid(r: Reference | undefined): string | undefined {
  const i = r?.identifier;
  return i?.system === DICOM_UID && i.value ? i.value.replace(/^urn:oid:/, '') : undefined;
}

export const uidOf = (identifiers: { system?: string; value?: string }[] | undefined): string | undefined =>
  identifiers?.find((i) => i.system === DICOM_UID && i.value)?.value?.replace(/^urn:oid:/, '');

/** Tenths of a millimetre as millimetres (61.0). */
export const mm = (tenths: number): number => tenths / 10;

/** A percentage rounded to one decimal for display (decisions never use it). */
export const pct = (value: number, of: number): number | null =>
  of === 0 ? null : Math.round((1000 * (value - of)) / of) / 10;
