/**
 * Finding 4: a patient token could write into another patient's record. A write was accepted
 * when any compartment reference named the token's patient (subject = another patient,
 * performer = self → 201). Now the patient of record (subject/patient; a Patient's own id) must
 * be the token's patient, and no compartment reference may name another patient, for create,
 * update, patch, delete and batch/transaction entries. Each refusal is a 403 OperationOutcome
 * with its audit record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { startSmartBench, type Answer, type SmartBench } from './harness.js';
import { expectRefused } from './refusal.js';

const PATCH = { 'content-type': 'application/json-patch+json' };

describe("a patient token writing into another patient's record (--auth smart)", () => {
  let bench: SmartBench;
  let self: string;
  let other: string;
  let token: string;

  beforeAll(async () => {
    bench = await startSmartBench();
    const patients = await bench.get('/fhir/Patient?_count=2', bench.admin);
    [self, other] = (patients.body.entry as Json[]).map((e) => e.resource.id as string);
    token = await bench.token({ scope: 'patient/*.cruds launch/patient', patient: self });
  }, 180_000);
  afterAll(() => bench?.stop());

  const observation = (subject: string, performer?: string, id?: string): Json => ({
    resourceType: 'Observation',
    ...(id ? { id } : {}),
    status: 'final',
    code: { text: 'home blood pressure' },
    subject: { reference: `Patient/${subject}` },
    ...(performer ? { performer: [{ reference: `Patient/${performer}` }] } : {}),
  });

  const refused = (attempt: () => Promise<Answer>, what: string) => expectRefused(bench, attempt, what);

  it('creates in its own record (the control)', async () => {
    const r = await bench.request('POST', '/fhir/Observation', token, observation(self, self));
    expect(r.status).toBe(201);
  });

  it('refuses a create whose subject is another patient, even with itself as performer', async () => {
    await refused(
      () => bench.request('POST', '/fhir/Observation', token, observation(other, self)),
      'subject other, performer self',
    );
    await refused(
      () => bench.request('POST', '/fhir/Observation', token, observation(self, other)),
      'subject self, performer other',
    );
    await refused(
      () => bench.request('PUT', '/fhir/Observation/planted-1', token, observation(other, self, 'planted-1')),
      'update-as-create',
    );
    const planted = await bench.get(`/fhir/Observation?subject=Patient/${other}&code:text=home`, bench.admin);
    expect(planted.body.total ?? planted.body.entry?.length ?? 0).toBe(0);
  });

  it('refuses moving its own resource into another record by update or patch', async () => {
    const mine = (await bench.request('POST', '/fhir/Observation', token, observation(self))).body;
    await refused(
      () => bench.request('PUT', `/fhir/Observation/${mine.id}`, token, { ...observation(other, self), id: mine.id }),
      'PUT subject → other',
    );
    await refused(
      () =>
        bench.request(
          'PATCH',
          `/fhir/Observation/${mine.id}`,
          token,
          [
            { op: 'replace', path: '/subject/reference', value: `Patient/${other}` },
            { op: 'add', path: '/performer', value: [{ reference: `Patient/${self}` }] },
          ],
          PATCH,
        ),
      'PATCH subject → other',
    );
    const still = await bench.get(`/fhir/Observation/${mine.id}`, bench.admin);
    expect(still.body.subject.reference).toBe(`Patient/${self}`);
    expect(still.body.meta.versionId).toBe('1');
  });

  it("may read, but not change or delete, another patient's resource that merely names it as performer", async () => {
    const theirs = (await bench.request('POST', '/fhir/Observation', bench.admin, observation(other, self))).body;
    expect((await bench.get(`/fhir/Observation/${theirs.id}`, token)).status).toBe(200);
    await refused(
      () =>
        bench.request('PUT', `/fhir/Observation/${theirs.id}`, token, {
          ...observation(other, self),
          id: theirs.id,
          status: 'cancelled',
        }),
      'PUT theirs',
    );
    await refused(
      () =>
        bench.request(
          'PATCH',
          `/fhir/Observation/${theirs.id}`,
          token,
          [{ op: 'replace', path: '/status', value: 'cancelled' }],
          PATCH,
        ),
      'PATCH theirs',
    );
    await refused(() => bench.request('DELETE', `/fhir/Observation/${theirs.id}`, token), 'DELETE theirs');
    expect((await bench.get(`/fhir/Observation/${theirs.id}`, bench.admin)).body.meta.versionId).toBe('1');
  });

  it('refuses linking its own Patient to another patient', async () => {
    const me = (await bench.get(`/fhir/Patient/${self}`, token)).body;
    await refused(
      () =>
        bench.request('PUT', `/fhir/Patient/${self}`, token, {
          ...me,
          link: [{ other: { reference: `Patient/${other}` }, type: 'seealso' }],
        }),
      'Patient.link → other',
    );
  });

  it('refuses such entries in a batch (entry 403) and a transaction (403, nothing written)', async () => {
    const before = bench.auditHead();
    const batch = await bench.request('POST', '/fhir', token, {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: observation(other, self), request: { method: 'POST', url: 'Observation' } },
        { resource: observation(self), request: { method: 'POST', url: 'Observation' } },
      ],
    });
    expect(batch.status).toBe(200);
    expect(batch.body.entry[0].response.status).toMatch(/^403/);
    expect(batch.body.entry[0].response.outcome.resourceType).toBe('OperationOutcome');
    expect(batch.body.entry[1].response.status).toMatch(/^201/);
    const batchRecords = bench.auditSince(before);
    expect(JSON.stringify(batchRecords)).toContain('"outcome":"4"');

    const countOther = async () =>
      (await bench.get(`/fhir/Observation?subject=Patient/${other}&_summary=count`, bench.admin)).body.total as number;
    const n = await countOther();
    await refused(
      () =>
        bench.request('POST', '/fhir', token, {
          resourceType: 'Bundle',
          type: 'transaction',
          entry: [
            { resource: observation(self), request: { method: 'POST', url: 'Observation' } },
            { resource: observation(other, self), request: { method: 'POST', url: 'Observation' } },
          ],
        }),
      'transaction',
    );
    expect(await countOther()).toBe(n);
  });
});
