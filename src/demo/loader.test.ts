import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../archive/archive.js';
import type Database from 'better-sqlite3';
import { demoDataset } from './dataset.js';
import { MRN_SYSTEM } from './identifiers.js';
import { loadDemoData, type DemoLoadReport } from './loader.js';
import { inProcessFhirClient, type FhirClient } from '../fhir/client/index.js';
import { openEmbeddedFhir, type EmbeddedFhir } from '../fhir/embedded.js';
import { validateFhirResource } from '../fhir/validate.js';
import { openArchiveDatabase } from '../archive-storage.js';

const TYPES = [
  'Patient',
  'Encounter',
  'Condition',
  'Observation',
  'MedicationRequest',
  'MedicationStatement',
  'MedicationAdministration',
  'Procedure',
  'Flag',
  'ServiceRequest',
  'Location',
  'Organization',
  'Practitioner',
  'ImagingStudy',
];

/** The demo loader against the real embedded FHIR repository and the real archive (SQLite, files) in a temp folder. */
describe('demo data loader', () => {
  let dataDir: string;
  let fhir: EmbeddedFhir;
  let archive: Archive;
  let db: Database.Database;
  let client: FhirClient;
  let first: DemoLoadReport;
  let second: DemoLoadReport;
  let countsAfterFirst: Record<string, number>;

  const counts = async () =>
    Object.fromEntries(
      await Promise.all(
        TYPES.map(async (t) => [t, (await client.search(t, { _summary: 'count' })).total ?? -1] as const),
      ),
    );
  const studyRows = () =>
    db.prepare('SELECT patient_id AS patientId, accession FROM studies ORDER BY accession').all() as {
      patientId: string;
      accession: string;
    }[];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ib-demo-'));
    fhir = openEmbeddedFhir({
      dataDir,
      publicUrl: 'http://ib.test',
      section: undefined,
      onError: (e) => console.error('FHIR 500', e),
    });
    ({ archive, db } = await openArchiveDatabase({
      dataDir,
      duplicatePolicy: 'reject',
      bulkDataThreshold: 1024,
      minFreeBytes: 0,
    }));
    client = inProcessFhirClient(fhir.router, 'http://ib.test/fhir');
    // As the server loads it (main.ts): writes not validated again on the server; this suite checks every one.
    const validated = inProcessFhirClient(fhir.router, 'http://ib.test/fhir', { validatedWrites: true });
    first = await loadDemoData({ fhir: validated, archive });
    countsAfterFirst = await counts();
    second = await loadDemoData({ fhir: validated, archive });
  });
  afterAll(async () => {
    await archive?.close();
    fhir?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates every resource and stores every instance the first time', () => {
    const dataset = demoDataset();
    const resources = dataset.facility.length + dataset.records.reduce((n, r) => n + r.entries.length, 0);
    expect(first.patients).toBe(50);
    expect(first.resources).toEqual({ created: resources, existing: 0 });
    expect(first.instances.stored).toBeGreaterThan(300);
    expect(first.instances.duplicate).toBe(0);
    expect(countsAfterFirst.Patient).toBe(50);
  });

  it('changes nothing when loaded again: same counts, every resource found, every instance a duplicate', async () => {
    expect(second.resources).toEqual({ created: 0, existing: first.resources.created });
    expect(second.instances).toEqual({ stored: 0, duplicate: first.instances.stored, newVersion: 0 });
    expect(await counts()).toEqual(countsAfterFirst);
    const [patient] = await client.searchAll('Patient', { identifier: `${MRN_SYSTEM}|IBD100001` });
    expect(patient.meta?.versionId).toBe('1');
  });

  it('leaves ImagingStudy to the bridge', () => {
    expect(countsAfterFirst.ImagingStudy).toBe(0);
  });

  it('stores resources that all pass R4 validation and refer to each other by server ids', async () => {
    const dataset = demoDataset();
    const types = new Set(
      [...dataset.facility, ...dataset.records.flatMap((r) => r.entries)].map((e) => e.resource.resourceType),
    );
    const stored = (await Promise.all([...types].map((t) => client.searchAll(t, { _count: 1000 })))).flat();
    expect(stored.length).toBe(first.resources.created);
    for (const resource of stored) {
      expect(() => validateFhirResource(resource), `${resource.resourceType}/${resource.id}`).not.toThrow();
      expect(JSON.stringify(resource)).not.toContain('urn:uuid:');
    }
    const encounter = stored.find(
      (r) => r.resourceType === 'Encounter' && (r.class as { code?: string } | undefined)?.code === 'EMER',
    )!;
    const location = (encounter.location as { location: { reference: string } }[])[0].location.reference;
    expect((await client.read('Location', location.split('/')[1])).name).toBe('Emergency Department');
  });

  it('gives the DICOM studies the PatientIDs of the Patient identifiers and the accessions of the ServiceRequests', async () => {
    const rows = studyRows();
    const patients = await client.searchAll('Patient', { _count: 100 });
    const mrns = new Set(
      patients.flatMap((p) =>
        (p.identifier as { system: string; value: string }[])
          .filter((i) => i.system === MRN_SYSTEM)
          .map((i) => i.value),
      ),
    );
    expect(rows.length).toBe(first.studies);
    expect(rows.every((r) => mrns.has(r.patientId))).toBe(true);
    const orders = await client.searchAll('ServiceRequest', { _count: 200 });
    const accessions = new Set(orders.flatMap((o) => (o.identifier as { value: string }[]).map((i) => i.value)));
    expect(rows.every((r) => accessions.has(r.accession))).toBe(true);
    // The order's subject is the Patient whose MRN the study carries.
    const row = rows[0];
    const [order] = await client.searchAll('ServiceRequest', {
      identifier: row.accession,
      _include: 'ServiceRequest:subject',
    });
    const subject = await client.read('Patient', (order.subject as { reference: string }).reference.split('/')[1]);
    expect((subject.identifier as { value: string }[])[0].value).toBe(row.patientId);
  });
});
