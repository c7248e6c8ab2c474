import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadR4 } from '../fhir/definitions/load-r4.js';
import { validateFhirResource } from '../fhir/validate.js';
import { buildAiTransaction } from './build.js';
import { parseAiResult } from './input.js';

const DIR = join(import.meta.dirname, 'golden');
const study = { id: 'is-1', subject: { reference: 'Patient/p-1' } };
const build = (name: string) => {
  let n = 0;
  const input = parseAiResult(JSON.parse(readFileSync(join(DIR, `${name}.input.json`), 'utf8')));
  return buildAiTransaction(input, study, {
    now: Date.parse('2025-03-10T08:00:00Z'),
    uuid: () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  });
};

describe('AI results → FHIR transaction (golden)', () => {
  it('builds Device, one Observation per finding, the DiagnosticReport and the Provenance as in the golden file', () => {
    const { bundle, reportIndex } = build('lesion-and-negative');
    const path = join(DIR, 'lesion-and-negative.expected.json');
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, `${JSON.stringify(bundle, null, 2)}\n`);
    expect(bundle).toEqual(JSON.parse(readFileSync(path, 'utf8')));
    expect(bundle.entry![reportIndex].resource!.resourceType).toBe('DiagnosticReport');
  });

  it('writes only resources that are valid FHIR R4', () => {
    loadR4();
    for (const e of build('lesion-and-negative').bundle.entry!)
      expect(() => validateFhirResource(e.resource!)).not.toThrow();
  });
});
