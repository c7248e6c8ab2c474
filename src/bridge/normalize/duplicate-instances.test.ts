import { describe, expect, it } from 'vitest';
import { duplicateInstances } from './duplicate-instances.js';
import { ds, noProfile } from './test-support.js';

const sop = (uid: string, description: string) => ds({ '00080018': ['UI', uid], '0008103E': ['LO', description] });

describe('duplicate-instances', () => {
  it('folds identical copies into one with an info finding', () => {
    const { instances, findings } = duplicateInstances.apply(
      [sop('1.1', 'a'), sop('1.2', 'b'), sop('1.1', 'a')],
      noProfile,
    );
    expect(instances).toHaveLength(2);
    expect(findings).toMatchObject([{ severity: 'info', original: '1.1' }]);
  });

  it("keeps the last copy when the content differs, in the first copy's place, and warns", () => {
    const { instances, findings } = duplicateInstances.apply(
      [sop('1.1', 'old'), sop('1.2', 'b'), sop('1.1', 'new')],
      noProfile,
    );
    expect(instances.map((j) => j['0008103E']!.Value![0])).toEqual(['new', 'b']);
    expect(findings).toMatchObject([{ severity: 'warning', sopInstanceUid: '1.1' }]);
  });
});
