import type { MedicationRequest, Observation } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { clinicianStatus, performance, treatments, trends } from './record.js';
import type { Timepoint } from './types.js';

const RX = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const request = (
  id: string,
  code: string,
  start: string,
  extra: Partial<MedicationRequest> = {},
): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  id,
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  medicationCodeableConcept: { coding: [{ system: RX, code, display: id }] },
  dosageInstruction: [{ timing: { repeat: { boundsPeriod: { start } } } }],
  ...extra,
});
const tp = (date: string, overall: Timepoint['overallResponse']) => ({ date, overallResponse: overall }) as Timepoint;
const status = (id: string, code: string, at: string): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '97509-4' }] },
  valueCodeableConcept: { coding: [{ system: 'http://snomed.info/sct', code }] },
  effectiveDateTime: at,
});

describe('the tumor-board record sections', () => {
  it('groups antineoplastics started within 28 days into one line, later ones into the next; other drugs are left out', () => {
    const rows = treatments(
      [
        request('carboplatin', '40048', '2025-01-10'),
        request('pemetrexed', '68446', '2025-01-12'),
        request('docetaxel', '72962', '2025-05-01', { status: 'stopped', statusReason: { text: 'Toxicity' } }),
        request('amlodipine', '17767', '2025-01-10'),
        request('cancer-reason', '999', '2025-05-03', { reasonReference: [{ reference: 'Condition/c1' }] }),
      ],
      [],
      [],
      new Set(['Condition/c1']),
    );
    expect(rows.map((r) => [r.medication, r.line, r.reasonStopped])).toEqual([
      ['carboplatin', 1, undefined],
      ['pemetrexed', 1, undefined],
      ['docetaxel', 2, 'Toxicity'],
      ['cancer-reason', 2, undefined],
    ]);
  });

  it("sets the clinician's status beside the latest computed response on or before it, flagging improved vs PD and worsened vs PR/CR", () => {
    const timepoints = [tp('2025-01-10', 'baseline'), tp('2025-03-10', 'PR'), tp('2025-05-10', 'PD')];
    const rows = clinicianStatus(
      [
        status('a', '271299001', '2025-01-11'),
        status('b', '271299001', '2025-03-12'),
        status('c', '268910001', '2025-05-10'),
        status('d', '359746009', '2025-05-11'),
      ],
      timepoints,
    );
    expect(rows.map((r) => [r.value, r.computed, r.agreesWithComputed])).toEqual([
      ['worsened', null, null],
      ['worsened', 'PR', false],
      ['improved', 'PD', false],
      ['stable', 'PD', true],
    ]);
  });

  it('lists marker trends oldest first and ECOG scores, ignoring entered-in-error', () => {
    const obs = (
      id: string,
      code: string,
      at: string,
      value: number,
      s: Observation['status'] = 'final',
    ): Observation => ({
      resourceType: 'Observation',
      id,
      status: s,
      code: { coding: [{ system: 'http://loinc.org', code }] },
      effectiveDateTime: at,
      ...(code === '89247-1' ? { valueInteger: value } : { valueQuantity: { value, unit: 'ng/mL' } }),
    });
    const list = [
      obs('c2', '2039-6', '2025-03-01', 12),
      obs('c1', '2039-6', '2025-01-01', 30),
      obs('cx', '2039-6', '2025-02-01', 99, 'entered-in-error'),
      obs('e1', '89247-1', '2025-01-02', 1),
    ];
    expect(trends(list, 'markers')[0]?.trend.map((t) => t.value)).toEqual([30, 12]);
    expect(performance(list)).toEqual([expect.objectContaining({ scale: 'ECOG', value: 1 })]);
  });
});
