/**
 * Finding 3: chained search was not checked against the chained type. `system/Observation.rs`
 * could count patients by name, birth date or MRN through `Observation?subject:Patient.name=…`
 * while `Patient?name=` was 403. Every chained parameter is now authorized against its target
 * type (read and search), and the target's own restrictions (patient compartment, scope
 * suffixes) apply inside the chain. Reverse chaining (`_has`) is not supported at all (400).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { startSmartBench, type Answer, type SmartBench } from './harness.js';
import { expectRefused } from './refusal.js';

describe('chained search authorized against the chained type (--auth smart)', () => {
  let bench: SmartBench;
  let observationsOnly: string;
  let patientA: Json;
  let patientB: Json;

  beforeAll(async () => {
    bench = await startSmartBench();
    const patients = await bench.get('/fhir/Patient?_count=2', bench.admin);
    [patientA, patientB] = (patients.body.entry as Json[]).map((e) => e.resource);
    observationsOnly = await bench.token({
      scope: 'system/Observation.rs',
      client: 'lab-dashboard',
      sub: 'lab-dashboard',
    });
  }, 180_000);
  afterAll(() => bench?.stop());

  const refused = (attempt: () => Promise<Answer>, what: string) => expectRefused(bench, attempt, what);

  const family = (p: Json) => encodeURIComponent(p.name[0].family);
  const mrn = (p: Json) => encodeURIComponent(`${p.identifier[0].system}|${p.identifier[0].value}`);

  it('refuses system/Observation.rs a chain into Patient, in every form a search can take', async () => {
    expect((await bench.get(`/fhir/Patient?name=${family(patientB)}`, observationsOnly)).status).toBe(403);
    for (const q of [
      `subject:Patient.name=${family(patientB)}&_summary=count`,
      `subject.name=${family(patientB)}&_summary=count`,
      `patient.birthdate=${patientB.birthDate}&_summary=count`,
      `subject:Patient.identifier=${mrn(patientB)}`,
    ]) {
      await refused(() => bench.get(`/fhir/Observation?${q}`, observationsOnly), q);
    }
    await refused(
      () =>
        bench.request(
          'POST',
          '/fhir/Observation/_search',
          observationsOnly,
          `subject:Patient.name=${family(patientB)}`,
          { 'content-type': 'application/x-www-form-urlencoded' },
        ),
      'POST _search',
    );
    // A conditional create whose condition chains into Patient.
    const writer = await bench.token({
      scope: 'system/Observation.crs',
      client: 'lab-dashboard',
      sub: 'lab-dashboard',
    });
    const probe = { resourceType: 'Observation', status: 'final', code: { text: 'x' } };
    await refused(
      () =>
        bench.request('POST', '/fhir/Observation', writer, probe, {
          'if-none-exist': `subject:Patient.name=${family(patientB)}`,
        }),
      'If-None-Exist',
    );
  });

  it('refuses the chain inside a batch entry', async () => {
    const before = bench.auditHead();
    const r = await bench.request('POST', '/fhir', observationsOnly, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { request: { method: 'GET', url: `Observation?subject:Patient.name=${family(patientB)}&_summary=count` } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.entry[0].response.status).toMatch(/^403/);
    expect(r.body.entry[0].response.outcome.issue[0].code).toBe('forbidden');
    expect(JSON.stringify(bench.auditSince(before))).toContain('"outcome":"4"');
  });

  it('answers the chain to a token that may search both types (the control)', async () => {
    const both = await bench.token({
      scope: 'system/Observation.rs system/Patient.rs',
      client: 'lab-dashboard',
      sub: 'lab-dashboard',
    });
    const r = await bench.get(`/fhir/Observation?subject:Patient.name=${family(patientB)}&_summary=count`, both);
    expect(r.status).toBe(200);
    expect(r.body.total).toBeGreaterThan(0);
  });

  it("keeps a patient token's chain inside its own compartment, and refuses it without Patient access", async () => {
    // An Observation of B naming A as performer: in A's compartment, so A may read it.
    const planted = (
      await bench.request('POST', '/fhir/Observation', bench.admin, {
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'chain probe' },
        subject: { reference: `Patient/${patientB.id}` },
        performer: [{ reference: `Patient/${patientA.id}` }],
      })
    ).body;
    const tokenA = await bench.token({ scope: 'patient/Observation.rs patient/Patient.rs', patient: patientA.id });
    expect((await bench.get(`/fhir/Observation/${planted.id}`, tokenA)).status).toBe(200);
    // ...but the chain may not test B's name, birth date or MRN through it.
    for (const q of [
      `subject:Patient.name=${family(patientB)}`,
      `subject:Patient.birthdate=${patientB.birthDate}`,
      `subject:Patient.identifier=${mrn(patientB)}`,
    ]) {
      const r = await bench.get(`/fhir/Observation?_id=${planted.id}&${q}&_summary=count`, tokenA);
      expect(r.status, q).toBe(200);
      expect(r.body.total, q).toBe(0);
    }
    expect((await bench.get(`/fhir/Observation?_id=${planted.id}&_summary=count`, tokenA)).body.total).toBe(1);
    const observationsOnlyA = await bench.token({ scope: 'patient/Observation.rs', patient: patientA.id });
    await refused(
      () => bench.get(`/fhir/Observation?subject:Patient.name=${family(patientB)}`, observationsOnlyA),
      'patient token without Patient access',
    );
  });

  it('does not answer reverse chaining (_has) at all', async () => {
    const r = await bench.get(
      `/fhir/Patient?_has:Observation:subject:code=8480-6&_summary=count`,
      await bench.token({ scope: 'system/Patient.rs' }),
    );
    expect(r.status).toBe(400);
    expect(r.body.resourceType).toBe('OperationOutcome');
  });
});
