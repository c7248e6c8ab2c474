/**
 * The automatic run writes its bundle with `validatedWrites` (main.ts): the server does not check
 * it again on ingest's main thread. What stands in for that check is this test: every case of the
 * stroke case table, persisted with and without an external clinical server, is valid R4.
 */
import type { Resource } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import type { FhirResource } from '../../fhir/types.js';
import { validateFhirResource } from '../../fhir/validate.js';
import { assessStroke } from '../../clinical/stroke/assess.js';
import { buildCase, loadCases } from '../../clinical/stroke/test-support.js';
import type { StrokeAssessment } from './answer.js';
import { assessmentBundle } from './persist.js';

loadR4();

function persisted(file: string, name: string, clinicalBase?: string): Resource[] {
  const { c } = loadCases().find((x) => x.file === file && x.c.name === name)!;
  const { record, ref, assessedAt } = buildCase(c);
  const a = assessStroke({ record, referenceTime: ref, assessedAt }, c.guideline ?? 'aha-2026');
  const answer: StrokeAssessment = {
    patient: { id: 'p1' } as StrokeAssessment['patient'],
    study: { studyInstanceUid: '1.2.826.0.1.3680043.8.498.1' },
    guideline: a.guideline,
    referenceTime: new Date(ref).toISOString(),
    referenceTimeSource: 'study',
    generatedAt: new Date(assessedAt).toISOString(),
    factors: a.factors,
    present: a.present,
    unknown: a.unknown,
    complete: true,
    sources: [],
  };
  const bundle = assessmentBundle(answer, { patient: 'Patient/p1', study: 'ImagingStudy/s1', clinicalBase });
  return (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
}

describe('persisted stroke runs are valid R4 (the automatic run is not validated again at write time)', () => {
  for (const { file, c } of loadCases())
    for (const clinicalBase of [undefined, 'https://ehr.example/fhir/']) {
      it(`${file}: ${c.name}${clinicalBase ? ' (external EHR)' : ''}`, () => {
        const resources = persisted(file, c.name, clinicalBase);
        expect(resources.some((r) => r.resourceType === 'List')).toBe(true);
        for (const r of resources) expect(() => validateFhirResource(r as FhirResource), r.id).not.toThrow();
      });
    }

  it('catches an invalid run (the check can fail)', () => {
    const { c, file } = loadCases()[0]!;
    const list = persisted(file, c.name).find((r) => r.resourceType === 'List')!;
    expect(() => validateFhirResource({ ...list, status: 'bogus' } as unknown as FhirResource)).toThrow();
  });
});
