import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bufferSource, parseInstance } from '../dicom/index.js';
import { ANTICOAGULANTS, CONDITIONS, LABS } from './codes.js';
import { demoDataset } from './dataset.js';
import { eachStudyInstance, studyInstances } from './dicom-study.js';
import { ACCESSION_SYSTEM, MRN_SYSTEM } from './identifiers.js';
import type { DemoDataset } from './types.js';

const dataset = demoDataset();
const resources = (d: DemoDataset) => [...d.facility, ...d.records.flatMap((r) => r.entries)].map((e) => e.resource);
const codes = (d: DemoDataset, type: string) =>
  new Set(
    resources(d)
      .filter((r) => r.resourceType === type)
      .flatMap((r) => JSON.stringify(r).match(/"code":"[^"]+"/g) ?? [])
      .map((c) => c.slice(8, -1)),
  );

describe('demo dataset generator', () => {
  it('is a pure function of its seed: the same seed gives the same dataset, another seed other people', () => {
    expect(JSON.stringify(demoDataset())).toBe(JSON.stringify(dataset));
    const other = demoDataset({ seed: 7 });
    expect(other.records.map((r) => r.patient.family)).not.toEqual(dataset.records.map((r) => r.patient.family));
  });

  it('has about 50 patients across the stroke, oncology and general cohorts, each with a unique MRN', () => {
    const cohorts = dataset.records.map((r) => r.patient.cohort);
    expect(cohorts.length).toBe(50);
    expect(cohorts.filter((c) => c === 'stroke').length).toBe(20);
    expect(cohorts.filter((c) => c === 'oncology').length).toBe(15);
    expect(new Set(dataset.records.map((r) => r.patient.mrn)).size).toBe(50);
  });

  it('gives every resource a unique conditional-create identifier and the test-data security label', () => {
    const all = [...dataset.facility, ...dataset.records.flatMap((r) => r.entries)];
    expect(new Set(all.map((e) => `${e.key.system}|${e.key.value}`)).size).toBe(all.length);
    expect(new Set(all.map((e) => e.fullUrl)).size).toBe(all.length);
    for (const e of all) {
      expect(e.resource.identifier).toContainEqual(expect.objectContaining(e.key));
      expect(e.resource.meta?.security?.[0]?.code).toBe('HTEST');
    }
  });

  it('covers the stroke rules with the codes of clinical-rules.md', () => {
    const meds = codes(dataset, 'MedicationRequest');
    for (const drug of [ANTICOAGULANTS.apixaban, ANTICOAGULANTS.warfarin, ANTICOAGULANTS.dabigatran])
      expect(meds).toContain(drug.code);
    expect(codes(dataset, 'MedicationStatement')).toContain(ANTICOAGULANTS.apixaban.code);
    expect(codes(dataset, 'MedicationAdministration')).toContain(ANTICOAGULANTS.enoxaparin.code);
    const conditions = codes(dataset, 'Condition');
    for (const c of [
      CONDITIONS.cerebralHemorrhage,
      CONDITIONS.ischemicStroke,
      CONDITIONS.cvaUnspecified,
      CONDITIONS.giBleed,
      CONDITIONS.brainTumour,
    ])
      expect(conditions).toContain(c[0].code);
    const observations = codes(dataset, 'Observation');
    for (const code of [
      LABS.platelets.code.code,
      LABS.inr.code.code,
      LABS.glucose.code.code,
      '8480-6',
      '8462-4',
      '72089-6',
    ])
      expect(observations).toContain(code);
    const statuses = new Set(
      resources(dataset)
        .filter((r) => r.resourceType === 'Observation')
        .map((r) => r.status),
    );
    expect([...statuses].sort()).toEqual(['entered-in-error', 'final', 'preliminary']);
  });

  it('covers oncology: primary cancers, chemotherapy, tumor markers, disease status and serial CT', () => {
    const observations = codes(dataset, 'Observation');
    for (const code of ['2039-6', '24108-3', '10334-1', '2857-1', '6875-9', '89247-1', '97509-4'])
      expect(observations).toContain(code);
    expect(codes(dataset, 'Procedure')).toContain('367336001');
    const oncology = dataset.records.filter((r) => r.patient.cohort === 'oncology');
    for (const r of oncology) expect(r.studies.length).toBeGreaterThanOrEqual(3);
  });

  it('has ED, ICU, inpatient, observation and outpatient encounters, flags and orders with accession numbers', () => {
    const all = resources(dataset);
    const classes = new Set(
      all.filter((r) => r.resourceType === 'Encounter').map((r) => (r.class as { code: string }).code),
    );
    expect([...classes].sort()).toEqual(['AMB', 'EMER', 'IMP', 'OBSENC']);
    expect(codes(dataset, 'Location')).toContain('ICU');
    expect(all.filter((r) => r.resourceType === 'Flag' && r.status === 'active').length).toBeGreaterThan(5);
    const orders = all.filter((r) => r.resourceType === 'ServiceRequest');
    const accessions = orders.map(
      (o) => (o.identifier as { system: string; value: string }[]).find((i) => i.system === ACCESSION_SYSTEM)?.value,
    );
    expect(new Set(accessions).size).toBe(dataset.records.flatMap((r) => r.studies).length);
  });

  it('writes DICOM whose PatientID, issuer and accession match the Patient and ServiceRequest', () => {
    const record = dataset.records.find((r) => r.patient.key === 'O01')!;
    const study = record.studies[0];
    const files = studyInstances(study);
    expect(files.length).toBe(5);
    const parsed = parseInstance(bufferSource(files[0].bytes));
    const value = (tag: string) => (parsed.json[tag]?.Value as unknown[] | undefined)?.[0];
    expect(value('00100020')).toBe(record.patient.mrn);
    expect(value('00080050')).toBe(study.accession);
    expect((value('00100024') as Record<string, { Value: string[] }>)['00400032'].Value[0]).toBe(MRN_SYSTEM);
    expect(value('0020000D')).toBe(study.uid);
    const patient = record.entries[0].resource;
    expect(patient.identifier).toContainEqual(
      expect.objectContaining({ system: MRN_SYSTEM, value: record.patient.mrn }),
    );
    expect(studyInstances(study).map((f) => f.bytes.equals(files.shift()!.bytes))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
  });

  it('gives the same files one at a time (eachStudyInstance, what the loader stores from)', () => {
    const study = dataset.records.find((r) => r.patient.key === 'O01')!.studies[0];
    const files = studyInstances(study);
    const lazy = eachStudyInstance(study);
    const first = lazy.next();
    expect(first.done).toBe(false);
    expect(first.done ? undefined : first.value.bytes.equals(files[0].bytes)).toBe(true);
    expect([...lazy].map((f) => f.sopInstanceUid)).toEqual(files.slice(1).map((f) => f.sopInstanceUid));
  });

  // The demo is what tests and newcomers see: its resources and images change only on purpose (then
  // update this digest). Pinned when the pixel loop was made faster (Math.hypot → Math.sqrt).
  it('is the same dataset and the same DICOM bytes as before (sha-256 of both)', () => {
    const hash = createHash('sha256').update(JSON.stringify(dataset));
    let files = 0;
    for (const study of dataset.records.flatMap((r) => r.studies))
      for (const file of eachStudyInstance(study)) {
        hash.update(file.sopInstanceUid).update(file.bytes);
        files++;
      }
    expect(files).toBe(467);
    expect(hash.digest('hex')).toBe('5a85aa2eeffbd210ddcd2500bcafb0df2855d52d04c477d44cf09338ed5559d2');
  });
});
