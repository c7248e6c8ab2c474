import type { DicomJson } from '../dicom/types.js';

interface PersonName {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** First value as text; a PN becomes `Alphabetic=Ideographic=Phonetic` without trailing empty groups. */
export function text(json: DicomJson, tag: string): string {
  const v = json[tag]?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return personNameText(v as PersonName);
  return String(v);
}

export function personNameText(pn: PersonName): string {
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''].join('=').replace(/=+$/, '');
}

export function alphabetic(json: DicomJson, tag: string): string {
  const v = json[tag]?.Value?.[0] as PersonName | undefined | null;
  return v && typeof v === 'object' ? (v.Alphabetic ?? '') : '';
}

export function integer(json: DicomJson, tag: string): number | null {
  const v = json[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? Math.trunc(n) : null;
}

/** TM → `HHMMSS.FFFFFF` (colons of old ACR-NEMA values removed), so times compare as text. */
export function normalizeTime(tm: string): string {
  const t = tm.replace(/:/g, '').trim();
  if (!t) return '';
  const [hms = '', frac = ''] = t.split('.');
  return `${hms.padEnd(6, '0').slice(0, 6)}.${frac.padEnd(6, '0').slice(0, 6)}`;
}
