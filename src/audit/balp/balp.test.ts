/**
 * Golden files: each case of test-support.ts (GOLDEN_CASES) → golden/<case>.json (the AuditEvents built).
 * Run with UPDATE_GOLDEN=1 to rewrite them, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import { validateFhirResource } from '../../fhir/validate.js';
import { buildAuditEvents } from './build.js';
import { GOLDEN_CASES } from './test-support.js';

const dir = new URL('./golden/', import.meta.url);
loadR4(); // the StructureDefinitions validateFhirResource checks against

describe('BALP builders: an access record becomes the expected AuditEvents', () => {
  for (const [name, record] of Object.entries(GOLDEN_CASES)) {
    it(`builds ${name} as valid R4 equal to the golden file`, () => {
      const events = buildAuditEvents(record);
      for (const e of events) expect(() => validateFhirResource(e)).not.toThrow();
      const file = new URL(`${name}.json`, dir);
      const text = `${JSON.stringify(events, null, 2)}\n`;
      if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, text);
      expect(JSON.parse(text)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }

  it('records one event per patient, each with its patient entity', () => {
    const events = buildAuditEvents(GOLDEN_CASES['fhir-search-two-patients']!);
    expect(events.map((e) => (e.entity as { what?: { reference?: string } }[])[0]?.what?.reference)).toEqual([
      'Patient/p-1',
      'Patient/p-2',
    ]);
  });

  it('keeps PHI out: no names or birth dates anywhere in the events', () => {
    const all = JSON.stringify(Object.values(GOLDEN_CASES).flatMap(buildAuditEvents));
    expect(all).not.toMatch(/birthDate|"family"|"given"/);
  });

  it('keeps the type, subtype and action of the earlier patient-context events', () => {
    const [e] = buildAuditEvents(GOLDEN_CASES.context!);
    expect(e).toMatchObject({
      type: { code: 'rest' },
      subtype: [{ system: 'urn:imaging-bridge:audit', code: 'patient-context' }],
      action: 'E',
      outcome: '4',
    });
  });

  it('maps statuses to outcomes: 2xx 0, 4xx 4, 5xx 8; DICOM warnings 0, A7xx 8', () => {
    const outcome = (o: Parameters<typeof buildAuditEvents>[0]['outcome']) =>
      buildAuditEvents({ ...GOLDEN_CASES['fhir-create']!, outcome: o })[0]!.outcome;
    expect(
      [
        { httpStatus: 204 },
        { httpStatus: 404 },
        { httpStatus: 503 },
        { dicomStatus: 0xb007 },
        { dicomStatus: 0xa700 },
        { dicomStatus: 0x0124 },
        'major',
      ].map((o) => outcome(o as never)),
    ).toEqual(['0', '4', '8', '0', '8', '4', '12']);
  });
});
