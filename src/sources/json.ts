/** Reading the few values the watcher needs from DICOM JSON answers. */
import type { DicomJson } from '../dicom/types.js';

export function firstString(j: DicomJson, tag: string): string | undefined {
  const v = j[tag]?.Value?.[0];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

export function integerOf(j: DicomJson, tag: string): number | undefined {
  const v = j[tag]?.Value?.[0];
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
}
