import type { ArchiveUpkeep } from '../archive-upkeep.js';
import { parseKey } from './pack-store.js';

/** What compaction needs of the index: the rows naming pack keys, and repointing them (ArchiveUpkeep). */
export type PackKeyIndex = Pick<ArchiveUpkeep, 'blobReferences' | 'repointBlobKeys'>;

/** Pack keys the index refers to, by segment, each with the SOP Instance UIDs of the rows that name it. */
export async function packReferences(index: PackKeyIndex): Promise<Map<number, Map<string, Set<string>>>> {
  const bySegment = new Map<number, Map<string, Set<string>>>();
  for (const { key, sop } of await index.blobReferences('p/')) {
    const segment = parseKey(key).segment;
    let keys = bySegment.get(segment);
    if (!keys) bySegment.set(segment, (keys = new Map()));
    let sops = keys.get(key);
    if (!sops) keys.set(key, (sops = new Set()));
    sops.add(sop);
  }
  return bySegment;
}
