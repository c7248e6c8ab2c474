/**
 * Golden files: each case of test-support.ts (GOLDEN_CASES) → golden/<case>.json (the AuditEvents built).
 * Run with UPDATE_GOLDEN=1 to rewrite them, then review the diff.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadR4 } from '../../fhir/definitions/load-r4.js';
import { validateFhirResource } from '../../fhir/validate.js';
import type { AuditEvent } from '../types.js';
import { canonicalJson } from '../canonical-json.js';
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

  const references = (e: AuditEvent) =>
    (e.entity as { what?: { reference?: string }; role?: { code?: string } }[]).map((x) =>
      x.what?.reference ? `${x.role?.code}:${x.what.reference}` : x.role?.code,
    );

  it('records a write concerning two patients as one event per patient, each with its patient entity', () => {
    const create = GOLDEN_CASES['fhir-create']!;
    const events = buildAuditEvents({ ...create, access: { ...create.access, patientIds: ['p-1', 'p-2'] } as never });
    expect(events.map(references)).toEqual([
      ['1:Patient/p-1', '4:Observation/obs-9', undefined],
      ['1:Patient/p-2', '4:Observation/obs-9', undefined],
    ]);
  });

  it('records a search showing several patients as ONE query event naming each patient (object-role 1)', () => {
    const events = buildAuditEvents(GOLDEN_CASES['fhir-search-two-patients']!);
    expect(events.map(references)).toEqual([['1:Patient/p-1', '1:Patient/p-2', '24', undefined]]);
    const list = buildAuditEvents(GOLDEN_CASES['worklist-list']!);
    expect(list.map(references)).toEqual([['1:Patient/p-1', '1:Patient/p-2', '1:Patient/p-3', '24', undefined]]);
  });

  it('writes a patient listed on many pages the same each time, from an entity no builder can change', () => {
    const page = GOLDEN_CASES['worklist-list']!;
    const first = buildAuditEvents(page)[0]!;
    const second = buildAuditEvents({ ...page, requestId: 'another-read' })[0]!;
    const listed = (e: AuditEvent) => (e.entity as Record<string, unknown>[]).slice(0, 3);
    expect(listed(second)).toEqual(listed(first));
    expect(listed(second).map(canonicalJson)).toEqual(listed(first).map(canonicalJson));
    expect(canonicalJson(listed(first)[0])).toBe(
      '{"role":{"code":"1","system":"http://terminology.hl7.org/CodeSystem/object-role"},"type":{"code":"1","system":"http://terminology.hl7.org/CodeSystem/audit-entity-type"},"what":{"reference":"Patient/p-1"}}',
    );
    const entity = listed(first)[0] as { what: { reference: string } };
    expect(() => {
      entity.what.reference = 'Patient/someone-else';
    }).toThrow(TypeError);
    expect(canonicalJson(listed(second)[0])).toContain('"Patient/p-1"');
  });

  it('keeps one event per patient for DICOM accesses that are not queries (WADO of two patients)', () => {
    const wado = GOLDEN_CASES['dicomweb-wado']!;
    const events = buildAuditEvents({ ...wado, access: { ...wado.access, patientIds: ['p-1', 'p-2'] } as never });
    expect(events.map((e) => references(e)[0])).toEqual(['1:Patient/p-1', '1:Patient/p-2']);
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
