/** After a copy or a move of an archive: every instance sent is indexed and its bytes are intact. */
import { expect } from 'vitest';
import type { ArchiveIndex } from '../../src/archive/archive-index.js';
import type { BlobStore } from '../../src/archive/types.js';

/** Every sent instance (SOP Instance UID → Part 10 bytes) found by `index`, read identical from `blobs` under its key. */
export async function expectSentBytesStored(
  index: Pick<ArchiveIndex, 'findInstance'>,
  blobs: Pick<BlobStore, 'read'>,
  sent: ReadonlyMap<string, Buffer>,
): Promise<void> {
  for (const [sop, bytes] of sent) {
    const found = await index.findInstance(sop);
    expect(found, sop).toBeDefined();
    expect((await blobs.read(found!.blobKey)).equals(bytes), sop).toBe(true);
  }
}
