/** DICOMDIR (PS3.10 8, PS3.3 F.5): the files its directory records point to. */
import { openAnyDataset } from './parse-instance.js';
import type { ByteSource, DicomJson } from './types.js';

export function readDicomdirReferences(source: ByteSource): string[][] {
  const { parsed } = openAnyDataset(source);
  const records = (parsed.json['00041220']?.Value ?? []) as DicomJson[];
  const out: string[][] = [];
  for (const record of records) {
    const id = record['00041500']?.Value;
    if (id?.length) out.push(id.map((c) => (typeof c === 'string' ? c : '')));
  }
  return out;
}
