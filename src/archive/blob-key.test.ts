import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveBlobStore } from './archive-blob-store.js';
import { instanceBlobKey, instancePlacement, randomSuffix, studyFolder } from './blob-key.js';
import { isPackKey } from './pack/pack-store.js';

describe('instance blob keys', () => {
  it('puts a study under the first two hex digits of its sha1, remembered or not', () => {
    const uids = Array.from({ length: 600 }, (_, i) => `1.2.826.0.1.3680043.10.${i}`);
    for (const round of [0, 1])
      for (const uid of uids)
        expect(studyFolder(uid), `round ${round}`).toBe(
          `${createHash('sha1').update(uid).digest('hex').slice(0, 2)}/${uid}`,
        );
  });

  it('gives every key 8 random hex digits, none repeated across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const s = randomSuffix();
      expect(s).toMatch(/^[0-9a-f]{8}$/);
      seen.add(s);
    }
    // 5,000 draws of 32 bits: a repeat has probability ≈ 0.3 %; a pool handed out twice would repeat 1,024 at once.
    expect(seen.size).toBeGreaterThan(4990);
    expect(instanceBlobKey('1.2.3', '1.2.3.4')).toMatch(
      new RegExp(`^${studyFolder('1.2.3').replace(/\./g, '\\.')}/1\\.2\\.3\\.4-[0-9a-f]{8}\\.dcm$`),
    );
  });

  it('makes a placement key once, when read, by the same formula', () => {
    const p = instancePlacement('1.2.3', '1.2.3.4', 'AE');
    const key = p.key;
    expect(key).toMatch(new RegExp(`^${studyFolder('1.2.3').replace(/\./g, '\\.')}/1\\.2\\.3\\.4-[0-9a-f]{8}\\.dcm$`));
    expect(p.key).toBe(key);
    expect({ ...p }).toEqual({ sopUid: '1.2.3.4', source: 'AE', key });
  });

  it('is not read for an object appended to a pack, and names a file of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blob-key-'));
    const store = new ArchiveBlobStore(dir, { packWriter: true, packLimit: 1000 });
    try {
      const place = async (size: number) => {
        let reads = 0;
        const placement = instancePlacement('1.2.3', `1.2.3.${size}`, 'AE');
        const counted = {
          sopUid: placement.sopUid,
          source: placement.source,
          get key() {
            reads++;
            return placement.key;
          },
        };
        const writer = await store.create();
        await writer.writev([Buffer.alloc(size, 7)]);
        const placed = await (await writer.seal()).commit(counted);
        return { placed, reads, key: placement.key };
      };
      const small = await place(500);
      expect(isPackKey(small.placed.key)).toBe(true);
      expect(small.reads).toBe(0);
      const large = await place(5000);
      expect(large.placed.key).toBe(large.key);
      expect(large.reads).toBeGreaterThan(0);
      expect((await store.read(large.placed.key)).length).toBe(5000);
    } finally {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
