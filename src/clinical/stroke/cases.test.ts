/**
 * The case table (cases/*.json, readable by a clinician): each case's shorthand record becomes
 * FHIR R4 resources, the check runs, and the named factors must have the expected status.
 */
import { describe, expect, it } from 'vitest';
import { assessStroke } from './assess.js';
import { buildCase, loadCases } from './test-support.js';

const all = loadCases();

describe('stroke case table', () => {
  it('has at least 40 cases, every factor seen present, absent and unknown', () => {
    expect(all.length).toBeGreaterThanOrEqual(40);
    const seen = new Set(all.flatMap(({ c }) => Object.entries(c.expect).map(([f, s]) => `${f}:${s}`)));
    const missing = [
      'blood-pressure',
      'platelets',
      'coagulation',
      'glucose',
      'doac',
      'lmwh',
      'prior-ich',
      'recent-ischemic-stroke',
      'head-trauma',
      'intracranial-surgery',
      'gi-bleed-or-malignancy',
      'aortic-dissection',
      'endocarditis',
      'intracranial-neoplasm',
      'pregnancy',
      'current-hemorrhage',
    ]
      .flatMap((f) => ['present', 'absent', 'unknown'].map((s) => `${f}:${s}`))
      .filter((k) => !seen.has(k));
    expect(missing).toEqual([]);
  });

  for (const { file, c } of all) {
    it(`${file}: ${c.name}`, () => {
      const { record, ref, assessedAt } = buildCase(c);
      const a = assessStroke({ record, referenceTime: ref, assessedAt }, c.guideline ?? 'aha-2026');
      const got = (id: string) => a.factors.find((f) => f.id === id)!;
      const status = Object.fromEntries(Object.keys(c.expect).map((id) => [id, got(id).status]));
      expect(
        status,
        Object.keys(c.expect)
          .map((id) => `${id}: ${got(id).reason}`)
          .join('\n'),
      ).toEqual(c.expect);
      for (const [id, tier] of Object.entries(c.tiers ?? {})) expect(got(id).tier).toBe(tier);
      for (const [id, text] of Object.entries(c.reasonIncludes ?? {})) expect(got(id).reason).toContain(text);
      for (const f of a.factors) if (f.status === 'present') expect(f.evidence.length).toBeGreaterThan(0);
    });
  }
});
