/** Finding a bulk value again from the path in its BulkDataURI (see bulk-path.ts). */
import { pathOfBulkUri } from './bulk-path.js';
import { openAnyDataset } from './parse-instance.js';
import type { ByteSource, PixelDataInfo, ValueLocation } from './types.js';

export { BULK_MARKER } from './bulk-path.js';

export interface LocatedBulkData {
  data: ByteSource;
  location: ValueLocation;
  vr: string;
  byteOrder: 'LE' | 'BE';
  pixelData?: PixelDataInfo;
}

export function locateBulkData(source: ByteSource, path: string): LocatedBulkData | undefined {
  const key = pathOfBulkUri(path) ?? path;
  // Threshold 0 so every binary value is addressable, whatever threshold produced the URI.
  const { data, bulk } = openAnyDataset(source, { bulkDataThreshold: 0 });
  const entry = bulk.get(key.toUpperCase());
  if (!entry) return undefined;
  const out: LocatedBulkData = { data, location: entry.location, vr: entry.vr, byteOrder: entry.byteOrder };
  if (entry.pixelData) out.pixelData = entry.pixelData;
  return out;
}
