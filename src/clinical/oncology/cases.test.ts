/**
 * The case table (cases/*.json, readable by a clinician): lesions × time points → the expected
 * target, non-target and overall response per time point.
 */
import { describe, expect, it } from 'vitest';
import { compareSerialImaging } from './recist.js';
import { NODAL_SITES } from './nodal-sites.js';
import { buildCase, loadCases } from './test-support.js';

const all = loadCases();

describe('RECIST 1.1 case table', () => {
  it('has at least 30 cases, every overall category seen', () => {
    expect(all.length).toBeGreaterThanOrEqual(30);
    const seen = new Set(all.flatMap(({ c }) => c.expect.map((e) => e.split(' / ')[2])));
    expect([...seen].sort()).toEqual(['CR', 'NE', 'PD', 'PR', 'SD', 'baseline']);
  });

  for (const { file, c } of all) {
    it(`${file}: ${c.name}`, () => {
      const input = buildCase(c);
      const r = compareSerialImaging({ ...input, nodalSites: NODAL_SITES });
      const got = r.timepoints.map((tp) => `${tp.targetResponse} / ${tp.nonTargetResponse} / ${tp.overallResponse}`);
      expect(
        got,
        [...r.timepoints.map((tp) => `${tp.index}: ${tp.reasons.join('; ')}`), ...r.warnings].join('\n'),
      ).toEqual(c.expect);
      if (c.targets) expect(r.targetSelection?.targets).toEqual(c.targets);
      for (const w of c.warningsInclude ?? []) expect(r.warnings.join('\n')).toContain(w);
    });
  }
});
