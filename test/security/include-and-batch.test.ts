/**
 * Checks the review found solid, replayed over HTTP against a real server so they stay solid:
 * `_include` / `_revinclude` never carry resources outside the token's reach, and each batch
 * entry is authorized on its own (a forbidden entry is 403 inside a 200 batch-response, a
 * transaction with one forbidden entry is refused whole and writes nothing).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { startSmartBench, type SmartBench } from './harness.js';

describe('_include/_revinclude filtering and batch entry authorization (--auth smart)', () => {
  let bench: SmartBench;
  let mine: string;
  let other: string;
  beforeAll(async () => {
    bench = await startSmartBench();
    const patients = await bench.patientsWithImaging(2);
    mine = patients[0].patientId;
    other = patients[1].patientId;
  }, 120_000);
  afterAll(() => bench?.stop());

  it('leaves out included resources of types the token may not read', async () => {
    const token = await bench.token({ scope: 'user/ImagingStudy.rs' });
    const r = await bench.get(`/fhir/ImagingStudy?subject=Patient/${mine}&_include=ImagingStudy:subject`, token);
    expect(r.status).toBe(200);
    const types = new Set((r.body.entry as Json[]).map((e) => e.resource.resourceType));
    expect(types.has('ImagingStudy')).toBe(true);
    expect(types.has('Patient')).toBe(false);
    const admin = await bench.get(
      `/fhir/ImagingStudy?subject=Patient/${mine}&_include=ImagingStudy:subject`,
      bench.admin,
    );
    expect((admin.body.entry as Json[]).some((e) => e.resource.resourceType === 'Patient')).toBe(true);
  });

  it("keeps a patient-bound token's _revinclude inside its compartment", async () => {
    const token = await bench.token({ scope: 'patient/*.rs', patient: mine });
    const r = await bench.get(`/fhir/Patient?_id=${mine},${other}&_revinclude=ImagingStudy:subject`, token);
    expect(r.status).toBe(200);
    for (const e of r.body.entry as Json[]) {
      const owner =
        e.resource.resourceType === 'Patient' ? e.resource.id : String(e.resource.subject?.reference).split('/')[1];
      expect(owner).toBe(mine);
    }
  });

  it('authorizes each batch entry on its own, and refuses a transaction with a forbidden entry as a whole', async () => {
    const token = await bench.token({ scope: 'user/Observation.rs user/Observation.c' });
    const batch = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Observation?subject=Patient/${mine}&_count=1` } },
        { request: { method: 'GET', url: `Patient/${mine}` } },
      ],
    };
    const r = await bench.request('POST', '/fhir', token, batch);
    expect(r.status).toBe(200);
    expect(r.body.entry.map((e: Json) => e.response.status.slice(0, 3))).toEqual(['200', '403']);

    const marker = `kept-holds-${Date.now()}`;
    const tx = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        {
          request: { method: 'POST', url: 'Observation' },
          resource: {
            resourceType: 'Observation',
            status: 'final',
            code: { text: marker },
            subject: { reference: `Patient/${mine}` },
          },
        },
        {
          request: { method: 'POST', url: 'Patient' },
          resource: { resourceType: 'Patient', name: [{ family: marker }] },
        },
      ],
    };
    const before = bench.auditHead();
    const t = await bench.request('POST', '/fhir', token, tx);
    expect(t.status).toBe(403);
    expect(t.body.resourceType).toBe('OperationOutcome');
    const written = await bench.get(`/fhir/Observation?code:text=${marker}`, bench.admin);
    expect(written.body.total ?? written.body.entry?.length ?? 0).toBe(0);
    expect(bench.auditSince(before).some((e) => e.outcome !== '0')).toBe(true);
  });
});
