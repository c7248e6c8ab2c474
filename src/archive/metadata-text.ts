import type { DicomJson } from '../dicom/types.js';

/**
 * Metadata is stored as JSON text and served without parsing it again. Bulk data URIs are
 * stored relative, behind a raw U+0001: JSON.stringify escapes every control character in
 * values, so a raw U+0001 in the stored text can only be our marker.
 */
const RAW_MARK = '\u0001';
const ESCAPED_MARK = '"BulkDataURI":"\\u0001';

export function serializeMetadata(json: DicomJson): string {
  return JSON.stringify(json).replaceAll(ESCAPED_MARK, `"BulkDataURI":"${RAW_MARK}`);
}

/** Stored metadata text → DICOM JSON text with absolute bulk data URIs under `bulkBase`. */
export function renderMetadata(stored: string, bulkBase: string): string {
  return stored.includes(RAW_MARK) ? stored.replaceAll(RAW_MARK, bulkBase) : stored;
}
