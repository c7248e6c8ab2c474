import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Principal, Role } from '../../auth/principal.js';
import { ANONYMOUS } from '../../auth/principal.js';
import { recordAuditEvent } from '../audit-events.js';
import { openTestRouter } from './test-support.js';

const who = (scope: string, o: { patient?: string; roles?: Role[] } = {}): Principal => ({
  kind: 'client',
  clientId: 'app',
  scope,
  roles: o.roles ?? [],
  patient: o.patient,
});
const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const observation = (patient: string, category: string, date = '2024-03-01') => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: CAT, code: category }] }],
  code: { coding: [{ system: 'http://loinc.org', code: category === 'laboratory' ? '2345-7' : '8867-4' }] },
  subject: { reference: `Patient/${patient}` },
  effectiveDateTime: date,
});
const ids = (bundle: { entry?: { resource: { id: string } }[] }) =>
  (bundle.entry ?? []).map((e) => e.resource.id).sort();
const entry = (method: string, url: string, resource?: unknown) => ({
  ...(resource ? { resource } : {}),
  request: { method, url },
});

describe('FHIR router: SMART scope enforcement', () => {
  let t: ReturnType<typeof openTestRouter>;
  let lab1: string, vital1: string, lab2: string, old1: string;
  beforeEach(async () => {
    t = openTestRouter();
    for (const id of ['p1', 'p2'])
      await t.call('PUT', `Patient/${id}`, { resourceType: 'Patient', id, gender: 'female' });
    lab1 = (await t.call('POST', 'Observation', observation('p1', 'laboratory'))).body.id;
    vital1 = (await t.call('POST', 'Observation', observation('p1', 'vital-signs'))).body.id;
    lab2 = (await t.call('POST', 'Observation', observation('p2', 'laboratory'))).body.id;
    old1 = (await t.call('POST', 'Observation', observation('p1', 'laboratory', '2019-05-01'))).body.id;
  });
  afterEach(() => t.close());

  describe('read', () => {
    it('reads with a scope for the type and names the needed scope otherwise', async () => {
      expect((await t.as(who('system/Observation.rs'))('GET', `Observation/${lab1}`)).status).toBe(200);
      const wrongType = await t.as(who('system/Patient.rs'))('GET', `Observation/${lab1}`);
      expect(wrongType.status).toBe(403);
      expect(wrongType.body.issue[0].code).toBe('forbidden');
      expect(wrongType.body.issue[0].diagnostics).toContain('Observation.r');
      expect((await t.as(who('system/Observation.s'))('GET', `Observation/${lab1}`)).status).toBe(403);
      expect((await t.as(who('openid fhirUser'))('GET', `Observation/${lab1}`)).status).toBe(403);
    });

    it("keeps a patient-bound token to its patient's compartment, on read and vread", async () => {
      const p1 = t.as(who('patient/*.read', { patient: 'p1' }));
      const own = await p1('GET', `Observation/${lab1}`);
      expect(own.status).toBe(200);
      expect(own.access).toMatchObject({
        interaction: 'read',
        resourceType: 'Observation',
        id: lab1,
        patientIds: ['p1'],
      });
      expect((await p1('GET', `Observation/${lab2}`)).status).toBe(403);
      expect((await p1('GET', `Observation/${lab2}/_history/1`)).status).toBe(403);
      expect((await p1('GET', 'Patient/p1')).status).toBe(200);
      expect((await p1('GET', 'Patient/p2')).status).toBe(403);
      // patient/ scopes without a patient in the token grant nothing.
      expect((await t.as(who('patient/*.read'))('GET', `Observation/${lab1}`)).status).toBe(403);
    });

    it('refuses a read outside a v2 query suffix, judged in memory or by the index', async () => {
      const lab = t.as(who(`user/Observation.rs?category=${CAT}|laboratory`));
      expect((await lab('GET', `Observation/${lab1}`)).status).toBe(200);
      expect((await lab('GET', `Observation/${vital1}`)).status).toBe(403);
      const recent = t.as(who('user/Observation.rs?date=ge2020'));
      expect((await recent('GET', `Observation/${lab1}`)).status).toBe(200);
      expect((await recent('GET', `Observation/${old1}`)).status).toBe(403);
    });
  });

  describe('search', () => {
    it('restricts a patient-bound search to the compartment and reports the patient', async () => {
      const p1 = t.as(who('patient/*.read', { patient: 'p1' }));
      const res = await p1('GET', 'Observation');
      expect(res.status).toBe(200);
      expect(ids(res.body)).toEqual([lab1, vital1, old1].sort());
      expect(res.body.total).toBe(3);
      expect(res.access).toMatchObject({ interaction: 'search-type', resourceType: 'Observation', patientIds: ['p1'] });
      expect(ids((await p1('GET', 'Observation?patient=p2')).body)).toEqual([]);
      expect(ids((await p1('GET', 'Patient')).body)).toEqual(['p1']);
      expect(
        ids(
          (
            await p1('POST', 'Observation/_search', 'category=vital-signs', {
              'content-type': 'application/x-www-form-urlencoded',
            })
          ).body,
        ),
      ).toEqual([vital1]);
    });

    it('ANDs a v2 suffix into the search, and unites several scopes', async () => {
      const lab = t.as(who(`user/Observation.rs?category=${CAT}|laboratory`));
      expect(ids((await lab('GET', 'Observation')).body)).toEqual([lab1, lab2, old1].sort());
      expect(ids((await lab('GET', 'Observation?date=ge2020')).body)).toEqual([lab1, lab2].sort());
      const either = t.as(who('patient/Observation.rs user/Observation.rs?date=lt2020', { patient: 'p2' }));
      expect(ids((await either('GET', 'Observation')).body)).toEqual([lab2, old1].sort());
    });

    it('leaves out included resources the token may not see', async () => {
      const obsOnly = t.as(who('user/Observation.rs'));
      const inc = await obsOnly('GET', `Observation?_id=${lab1}&_include=Observation:subject`);
      expect(inc.body.entry.map((e: { search: { mode: string } }) => e.search.mode)).toEqual(['match']);
      const p1 = t.as(who('patient/*.read', { patient: 'p1' }));
      const rev = await p1('GET', 'Patient?_revinclude=Observation:subject');
      expect(ids(rev.body)).toEqual([lab1, vital1, old1, 'p1'].sort());
    });

    it('refuses a search without the s permission', async () => {
      expect((await t.as(who('user/Observation.r'))('GET', 'Observation')).status).toBe(403);
    });
  });

  describe('writes', () => {
    it('creates only within the compartment and with the c permission', async () => {
      const p1 = t.as(who('patient/Observation.cru', { patient: 'p1' }));
      expect((await p1('POST', 'Observation', observation('p1', 'laboratory'))).status).toBe(201);
      expect((await p1('POST', 'Observation', observation('p2', 'laboratory'))).status).toBe(403);
      expect(
        (await t.as(who('user/Observation.rs'))('POST', 'Observation', observation('p1', 'laboratory'))).status,
      ).toBe(403);
      // Outside the compartment, patient/ scopes do not write.
      expect(
        (
          await t.as(who('patient/*.cruds', { patient: 'p1' }))('POST', 'Practitioner', {
            resourceType: 'Practitioner',
          })
        ).status,
      ).toBe(403);
    });

    it('updates only when the stored and the new version are both in reach', async () => {
      const p1 = t.as(who('patient/Observation.ru', { patient: 'p1' }));
      const current = (await t.call('GET', `Observation/${lab1}`)).body;
      expect((await p1('PUT', `Observation/${lab1}`, { ...current, status: 'amended' })).status).toBe(200);
      const other = (await t.call('GET', `Observation/${lab2}`)).body;
      expect((await p1('PUT', `Observation/${lab2}`, { ...other, subject: { reference: 'Patient/p1' } })).status).toBe(
        403,
      );
      expect(
        (await p1('PUT', `Observation/${lab1}`, { ...current, subject: { reference: 'Patient/p2' } })).status,
      ).toBe(403);
      // Update-as-create needs c as well.
      expect((await p1('PUT', 'Observation/new1', { ...observation('p1', 'laboratory'), id: 'new1' })).status).toBe(
        403,
      );
      expect((await t.call('GET', `Observation/${lab2}`)).body.subject.reference).toBe('Patient/p2');
    });

    it('patches and deletes only within reach', async () => {
      const p1 = t.as(who('patient/Observation.*', { patient: 'p1' }));
      const move = [{ op: 'replace', path: '/subject/reference', value: 'Patient/p2' }];
      const json = { 'content-type': 'application/json-patch+json' };
      expect((await p1('PATCH', `Observation/${lab1}`, move, json)).status).toBe(403);
      expect(
        (await p1('PATCH', `Observation/${lab2}`, [{ op: 'replace', path: '/status', value: 'amended' }], json)).status,
      ).toBe(403);
      expect(
        (await p1('PATCH', `Observation/${lab1}`, [{ op: 'replace', path: '/status', value: 'amended' }], json)).status,
      ).toBe(200);
      expect((await p1('DELETE', `Observation/${lab2}`)).status).toBe(403);
      const deleted = await p1('DELETE', `Observation/${lab1}`);
      expect(deleted.status).toBe(200);
      expect(deleted.access).toMatchObject({ interaction: 'delete', patientIds: ['p1'] });
      expect((await t.as(who('user/Observation.cru'))('DELETE', `Observation/${vital1}`)).status).toBe(403);
    });

    it('lets conditional operations match only what the token may search', async () => {
      const p1 = t.as(who('patient/Observation.*', { patient: 'p1' }));
      expect((await p1('DELETE', `Observation?_id=${lab2}`)).body.issue[0].diagnostics).toBe(
        'nothing matched; nothing deleted',
      );
      expect((await t.call('GET', `Observation/${lab2}`)).status).toBe(200);
      expect((await t.as(who('user/Observation.d'))('DELETE', `Observation?_id=${lab2}`)).status).toBe(403);
    });
  });

  describe('history', () => {
    it('shows instance history within reach, type and system history only to unrestricted scopes', async () => {
      const p1 = t.as(who('patient/*.read', { patient: 'p1' }));
      expect((await p1('GET', `Observation/${lab1}/_history`)).status).toBe(200);
      expect((await p1('GET', `Observation/${lab2}/_history`)).status).toBe(403);
      expect((await p1('GET', 'Observation/_history')).status).toBe(403);
      expect((await t.as(who('system/Observation.rs'))('GET', 'Observation/_history')).status).toBe(200);
      expect((await t.as(who('system/*.rs'))('GET', '_history')).status).toBe(403);
      expect((await t.as(who('system/*.rs', { roles: ['administrator'] }))('GET', '_history')).status).toBe(200);
    });
  });

  describe('batch and transaction', () => {
    it('checks each batch entry on its own and reports each', async () => {
      const p1 = t.as(who('patient/Observation.rs patient/Patient.rs', { patient: 'p1' }));
      const res = await p1('POST', '', {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          entry('GET', `Observation/${lab1}`),
          entry('GET', `Observation/${lab2}`),
          entry('POST', 'Observation', observation('p1', 'laboratory')),
          entry('GET', 'Observation?category=vital-signs'),
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual([
        '200 OK',
        '403',
        '403',
        '200 OK',
      ]);
      expect(res.body.entry[1].response.outcome.issue[0].code).toBe('forbidden');
      expect(res.body.entry[3].resource.total).toBe(1);
      expect(res.access?.interaction).toBe('batch');
      expect(res.access?.entries?.map((e) => [e.interaction, e.status])).toEqual([
        ['read', 200],
        ['read', 403],
        ['create', 403],
        ['search-type', 200],
      ]);
    });

    it('refuses a transaction with any forbidden entry as a whole', async () => {
      const p1 = t.as(who('patient/Observation.cruds', { patient: 'p1' }));
      const before = (await t.call('GET', 'Observation?_summary=count')).body.total;
      const wrongType = await p1('POST', '', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          entry('POST', 'Observation', observation('p1', 'laboratory')),
          entry('POST', 'Patient', { resourceType: 'Patient' }),
        ],
      });
      expect(wrongType.status).toBe(403);
      expect(wrongType.body.issue[0].diagnostics).toMatch(/^Bundle\.entry\[1\]/);
      const otherPatient = await p1('POST', '', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          entry('POST', 'Observation', observation('p1', 'laboratory')),
          entry('POST', 'Observation', observation('p2', 'laboratory')),
        ],
      });
      expect(otherPatient.status).toBe(403);
      expect((await t.call('GET', 'Observation?_summary=count')).body.total).toBe(before);
      const ok = await p1('POST', '', {
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [entry('POST', 'Observation', observation('p1', 'laboratory'))],
      });
      expect(ok.status).toBe(200);
      expect(ok.access?.entries?.[0]).toMatchObject({ interaction: 'create', status: 201, patientIds: ['p1'] });
    });
  });

  describe('AuditEvent', () => {
    beforeEach(async () => {
      await recordAuditEvent(t.repo, {
        resourceType: 'AuditEvent',
        type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
        recorded: '2024-01-01T00:00:00Z',
        agent: [{ requestor: true, who: { display: 'test' } }],
        source: { observer: { display: 'ImagingBridge' } },
        entity: [{ what: { reference: 'Patient/p1' } }],
      });
    });

    it('is read and searched by administrators only, and written by no one through the API', async () => {
      expect((await t.as(who('system/*.cruds'))('GET', 'AuditEvent')).status).toBe(403);
      const admin = t.as(who('system/*.cruds', { roles: ['administrator'] }));
      const found = await admin('GET', 'AuditEvent?patient=p1');
      expect(found.status).toBe(200);
      expect(found.body.total).toBe(1);
      expect((await admin('GET', `AuditEvent/${found.body.entry[0].resource.id}`)).status).toBe(200);
      expect((await admin('POST', 'AuditEvent', { resourceType: 'AuditEvent' })).status).toBe(405);
      expect((await admin('DELETE', `AuditEvent/${found.body.entry[0].resource.id}`)).status).toBe(405);
      const rev = await t.as(who('system/*.rs'))('GET', 'Patient?_id=p1&_revinclude=AuditEvent:patient');
      expect(ids(rev.body)).toEqual(['p1']);
    });
  });

  it('answers metadata whatever the scopes, and lets --auth none and internal calls do everything', async () => {
    expect((await t.as(who(''))('GET', 'metadata')).status).toBe(200);
    expect((await t.as(ANONYMOUS)('GET', 'AuditEvent')).status).toBe(200);
    expect(ids((await t.as(ANONYMOUS)('GET', 'Observation')).body)).toHaveLength(4);
    const internal = await t.call('GET', `Observation/${lab2}`);
    expect(internal.status).toBe(200);
    expect(internal.access).toMatchObject({ interaction: 'read', patientIds: [] });
  });
});
