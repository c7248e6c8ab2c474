/** The pure rules against golden cases (golden/*.json): findings and readiness, the study comparison. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareStudies, type FhirStudy, type PacsStudy } from './compare.js';
import { verdict } from './findings.js';
import type { Assessment } from './types.js';

const load = <T>(name: string): T[] =>
  JSON.parse(readFileSync(new URL(`./golden/${name}`, import.meta.url), 'utf8')) as T[];

interface FindingCase {
  name: string;
  input: Omit<Assessment, 'findings' | 'readiness' | 'verdict' | 'generatedAt' | 'since' | 'wrote'>;
  expected: { readiness: Assessment['readiness']; findings: { area: string; level: string; message: string }[] };
}

describe('findings and readiness (golden cases)', () => {
  for (const c of load<FindingCase>('findings-cases.json'))
    it(c.name, () => {
      const v = verdict(
        { ...c.input, generatedAt: '2026-12-06T10:00:00.000Z', since: '2026-11-06T00:00:00.000Z', wrote: false },
        'IMGBRIDGE',
      );
      expect(v.readiness).toEqual(c.expected.readiness);
      expect(v.findings.map(({ area, level, message }) => ({ area, level, message }))).toEqual(c.expected.findings);
      for (const f of v.findings) expect(f.nextStep.length).toBeGreaterThan(3);
      expect(v.verdict).toHaveLength(4);
    });
});

interface CompareCase {
  name: string;
  pacs: PacsStudy[];
  fhir: FhirStudy[];
  expected: {
    matched: number;
    missingInFhir: string[];
    notInPacs: string[];
    mismatched: unknown[];
    lagSeconds: unknown;
  };
}

describe('the study comparison (golden cases)', () => {
  for (const c of load<CompareCase>('compare-cases.json'))
    it(c.name, () => {
      const r = compareStudies(c.pacs, c.fhir);
      expect({
        matched: r.matched.length,
        missingInFhir: r.missingInFhir,
        notInPacs: r.notInPacs.map((f) => f.uid),
        mismatched: r.mismatched,
        lagSeconds: r.lagSeconds,
      }).toEqual(c.expected);
    });
});
