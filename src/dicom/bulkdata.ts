/**
 * Bulk data references. Parsed JSON carries BulkDataURI = BULK_MARKER + path, where path
 * names the value inside the dataset ("7FE00010", "00540016/0/00181072"); the HTTP layer
 * swaps the marker for a retrieve URL and comes back here with the path.
 */
import { openAnyDataset } from './parse-instance.js';
import type { ByteSource, PixelDataInfo, ValueLocation } from './types.js';

export const BULK_MARKER = '\u0001';

export interface LocatedBulkData {
  data: ByteSource;
  location: ValueLocation;
  vr: string;
  byteOrder: 'LE' | 'BE';
  pixelData?: PixelDataInfo;
}

export function locateBulkData(source: ByteSource, path: string): LocatedBulkData | undefined {
  const key = path.startsWith(BULK_MARKER) ? path.slice(1) : path;
  // Threshold 0 so every binary value is addressable, whatever threshold produced the URI.
  const { data, bulk } = openAnyDataset(source, { bulkDataThreshold: 0 });
  const entry = bulk.get(key.toUpperCase());
  if (!entry) return undefined;
  const out: LocatedBulkData = { data, location: entry.location, vr: entry.vr, byteOrder: entry.byteOrder };
  if (entry.pixelData) out.pixelData = entry.pixelData;
  return out;
}
