import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { instanceBlobKey, randomSuffix, studyFolder } from './blob-key.js';

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
});
