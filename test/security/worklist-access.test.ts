/**
 * The worklist under --auth smart: its scopes, the patient compartment of a patient-bound token
 * (list, item, event stream), the bearer token on the event stream (read with fetch, as the
 * console does), and the audit record naming the patients listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from '../support/http.js';
import { waitFor } from '../support/wait.js';
import { EventReader, HEAD, MIN } from '../worklist-support.js';
import { startSmartBench, type SmartBench } from './harness.js';

const ROOT = '1.2.826.0.1.3680043.10.1456.79';

describe('worklist access (--auth smart)', () => {
  let bench: SmartBench;
  const ids: Record<string, string> = {};

  const create = async (resource: Json): Promise<Json> => {
    const r = await bench.request('POST', `/fhir/${resource.resourceType}`, bench.admin, resource, {
      'content-type': 'application/fhir+json',
    });
    expect(r.status, r.text).toBe(201);
    return r.body;
  };
  const study = (patient: string, uid: string) =>
    create({
      resourceType: 'ImagingStudy',
      status: 'available',
      identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
      subject: { reference: `Patient/${patient}` },
      started: new Date(Date.now() - MIN).toISOString(),
      series: [{ uid: `${uid}.1`, modality: { code: 'CT' }, bodySite: HEAD }],
    });
  const flag = (patient: string) =>
    create({
      resourceType: 'Flag',
      status: 'active',
      code: { coding: [{ system: 'http://hospital.example/fhir/CodeSystem/flag', code: 'pre-op' }] },
      subject: { reference: `Patient/${patient}` },
    });

  beforeAll(async () => {
    bench = await startSmartBench({ demo: false });
    ids.own = (await create({ resourceType: 'Patient', name: [{ family: 'Own' }] })).id;
    ids.other = (await create({ resourceType: 'Patient', name: [{ family: 'Other' }] })).id;
    await study(ids.own, `${ROOT}.1`);
    await study(ids.other, `${ROOT}.2`);
    await waitFor(async () => (await bench.get('/api/worklist', bench.admin)).body.total === 2, {
      what: 'two studies',
    });
  }, 180_000);
  afterAll(() => bench?.stop());

  it('refuses a token without the scopes the score reads (403), and one without a token (401)', async () => {
    expect((await bench.get('/api/worklist')).status).toBe(401);
    const narrow = await bench.token({ scope: 'user/ImagingStudy.rs user/Patient.rs' });
    expect((await bench.get('/api/worklist', narrow)).status).toBe(403);
    expect((await bench.get('/api/worklist/events', narrow)).status).toBe(403);
  });

  it('shows a patient-bound token its own patient only, in the list, the item and the events', async () => {
    const token = await bench.token({ scope: 'patient/*.rs', patient: ids.own });
    const before = bench.auditHead();
    const list = await bench.get('/api/worklist', token);
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: Json) => i.studyInstanceUid)).toEqual([`${ROOT}.1`]);
    expect((await bench.get(`/api/worklist/${ROOT}.2`, token)).status).toBe(404);
    expect((await bench.get(`/api/worklist/${ROOT}.1`, token)).status).toBe(200);
    const records = bench.auditSince(before);
    expect(JSON.stringify(records[0].entity)).toContain(`Patient/${ids.own}`);

    const events = new EventReader(`${bench.url}/api/worklist/events`, { authorization: `Bearer ${token}` });
    await events.ready;
    try {
      await flag(ids.other);
      await flag(ids.own);
      await waitFor(() => events.events.some((e) => e.data.studyInstanceUid === `${ROOT}.1`), {
        what: 'the event of the own patient',
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(events.events.map((e) => e.data.studyInstanceUid)).not.toContain(`${ROOT}.2`);
    } finally {
      events.close();
    }
  });

  it('keeps no answer of one token for another: each patient-bound token its own list, a new study shown at the next read', async () => {
    const own = await bench.token({ scope: 'patient/*.rs', patient: ids.own });
    const other = await bench.token({ scope: 'patient/*.rs', patient: ids.other });
    const uids = async (token: string) =>
      ((await bench.get('/api/worklist', token)).body.items as Json[]).map((i) => i.studyInstanceUid).sort();
    expect(await uids(own)).toEqual([`${ROOT}.1`]);
    expect(await uids(other)).toEqual([`${ROOT}.2`]);
    expect(await uids(own)).toEqual([`${ROOT}.1`]);
    await study(ids.own, `${ROOT}.3`);
    await waitFor(async () => (await uids(own)).length === 2, { what: 'the new study in the own list' });
    expect(await uids(own)).toEqual([`${ROOT}.1`, `${ROOT}.3`]);
    expect(await uids(other)).toEqual([`${ROOT}.2`]);
    const admin = await bench.get('/api/worklist', bench.admin);
    expect(admin.body.total).toBe(3);
  });
});
