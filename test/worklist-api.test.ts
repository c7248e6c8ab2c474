import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { studyInstances } from '../src/demo/dicom-study.js';
import { stow, type Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';
import { CHEST, EventReader, Fhir, HEAD, HOUR, MIN, termsOf } from './worklist-support.js';

const FAST_BRIDGE = { bridge: { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 } };
const ROOT = '1.2.826.0.1.3680043.10.1456.77';

describe('the worklist re-orders the same studies as clinical context arrives (embedded FHIR server)', () => {
  let server: TestServer;
  let fhir: Fhir;
  let events: EventReader;
  const ids: Record<string, string> = {};
  const now = Date.now();

  const list = async (query = ''): Promise<Json> => {
    const res = await fetch(`${server.url}/api/worklist${query}`);
    expect(res.status).toBe(200);
    return res.json();
  };
  const item = (body: Json, uid: string): Json => body.items.find((i: Json) => i.studyInstanceUid === uid);
  const order = (body: Json, uids: string[]) =>
    body.items.filter((i: Json) => uids.includes(i.studyInstanceUid)).map((i: Json) => i.studyInstanceUid);
  /** Waits until the list satisfies `check` (the index follows writes within a few tens of ms). */
  const until = (check: (body: Json) => boolean, what: string, query = '') =>
    waitFor(
      async () => {
        const body = await list(query);
        return check(body) ? body : undefined;
      },
      { timeoutMs: 5000, what },
    );

  const A = `${ROOT}.1`; // ED, STAT, AI hemorrhage
  const B = `${ROOT}.2`; // inpatient, urgent (order by basedOn)
  const C = `${ROOT}.3`; // outpatient routine follow-up, fresh
  const Cold = `${ROOT}.4`; // the same kind of follow-up, waiting 30 h
  const Cprior = `${ROOT}.5`; // C's prior chest CT, a year ago, reported
  const D = `${ROOT}.6`; // routine, then a code stroke

  beforeAll(async () => {
    server = await startTestServer({}, { configFile: FAST_BRIDGE });
    fhir = new Fhir(`${server.url}/fhir`);
    events = new EventReader(`${server.url}/api/worklist/events`);
    await events.ready;
    const ed = await fhir.create({
      resourceType: 'Location',
      status: 'active',
      name: 'Emergency Department',
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'ER' }] }],
    });
    ids.ed = ed.id;
    for (const p of ['Ada', 'Ben', 'Cleo', 'Dan']) ids[p] = (await fhir.patient(p)).id;
    // B's order exists first and the study names it (basedOn).
    ids.orderB = (await fhir.order(ids.Ben, 'urgent')).id;
    await fhir.study(ids.Ada, A, { started: now - MIN, site: HEAD, accession: 'A-1' });
    await fhir.study(ids.Ben, B, { started: now - MIN, site: CHEST, basedOn: `ServiceRequest/${ids.orderB}` });
    await fhir.study(ids.Cleo, C, { started: now - 10 * MIN, site: CHEST, accession: 'C-2' });
    await fhir.study(ids.Cleo, Cold, { started: now - 30 * HOUR, site: CHEST, accession: 'C-3' });
    const prior = await fhir.study(ids.Cleo, Cprior, { started: now - 365 * 24 * HOUR, site: CHEST });
    await fhir.create({
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { text: 'CT chest' },
      subject: { reference: `Patient/${ids.Cleo}` },
      imagingStudy: [{ reference: `ImagingStudy/${prior.id}` }],
    });
    await fhir.study(ids.Dan, D, { started: now - 20 * MIN, site: HEAD, accession: 'D-1' });
  }, 60_000);
  afterAll(async () => {
    events?.close();
    await server?.stop();
  });

  it('lists the unread studies, the urgent order found by basedOn, the reported prior left out', async () => {
    const body = await until((b) => !!item(b, D) && !!item(b, B)?.terms.length, 'the five unread studies');
    expect(body.total).toBe(5);
    expect(item(body, Cprior)).toBeUndefined();
    expect(termsOf(item(body, B))).toEqual(['order 20']);
    expect(item(body, B).terms[0].evidence).toEqual([`ServiceRequest/${ids.orderB}`]);
    expect(item(body, B).tier).toBe('routine');
    expect(item(body, B).patient).toEqual({ id: ids.Ben, name: 'Test Ben', identifier: 'Ben' });
    // No order for C yet: routine outside ED/ICU, a follow-up of the chest CT a year ago.
    expect(termsOf(item(body, C))).toEqual(['novelty -5']);
    expect(item(body, C).terms[0].evidence).toHaveLength(2); // the reported prior and the older follow-up
    const all = await list('?status=all');
    expect(item(all, Cprior).status).toBe('read');
  });

  it('puts a STAT order from the ED with an AI hemorrhage above the urgent inpatient, above the routine follow-up', async () => {
    await fhir.order(ids.Ada, 'stat', { accession: 'A-1' }); // found by accession, written after the study
    await fhir.order(ids.Cleo, 'routine', { accession: 'C-2' });
    await fhir.encounter(ids.Ada, 'EMER', 'in-progress', `Location/${ids.ed}`);
    await fhir.encounter(ids.Ben, 'IMP', 'in-progress');
    await until((b) => item(b, A)?.terms.length === 2 && item(b, B)?.terms.length === 2, 'order and setting');
    const posted = Date.now();
    const res = await fetch(`${server.url}/api/ai-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        studyInstanceUid: A,
        model: { name: 'bleed-detect', version: '1' },
        findings: [
          {
            code: { system: 'http://snomed.info/sct', code: '1386000', display: 'Intracranial hemorrhage' },
            confidence: 0.9,
          },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const answered = Date.now();
    const event = await waitFor(
      () =>
        events.events.find(
          (e) =>
            e.at >= posted && e.data.studyInstanceUid === A && e.data.item?.terms.some((t: Json) => t.term === 'ai'),
        ),
      { timeoutMs: 2000, what: 'the event of the AI result' },
    );
    expect(event.at - answered).toBeLessThan(2000);
    expect(['moved', 're-scored']).toContain(event.type);
    const body = await list();
    expect(order(body, [A, B, C])).toEqual([A, B, C]);
    const a = item(body, A);
    expect(termsOf(a)).toEqual(['order 40', 'setting 25', 'ai 36', 'novelty 10']);
    expect(a.terms[0].reason).toMatch(/stat .*accession/);
    expect(a.terms[1]).toMatchObject({
      reason: expect.stringMatching(/EMER/),
      evidence: [expect.stringMatching(/^Encounter\//)],
    });
    expect(a.score).toBe(111);
    expect(a.tier).toBe('read-now');
    expect(a.rank).toBe(1);
    expect(termsOf(item(body, B))).toEqual(['order 20', 'setting 10']);
    expect(termsOf(item(body, C))).toEqual(['order 0', 'novelty -5']);
    for (const i of body.items) expect(i.terms.reduce((s: number, t: Json) => s + t.points, 0)).toBeCloseTo(i.score, 6);
  });

  it('lets the waiting follow-up climb with aging, capped, but not above the ED case or the urgent inpatient', async () => {
    ids.orderCold = (await fhir.order(ids.Cleo, 'routine', { accession: 'C-3' })).id;
    const body = await until((b) => item(b, Cold)?.terms[0]?.term === 'order', 'the order of the old follow-up');
    expect(termsOf(item(body, Cold))).toEqual(['order 0', 'novelty -5', 'aging 20']);
    expect(order(body, [A, B, C, Cold])).toEqual([A, B, Cold, C]);
  });

  it('takes a study off the unread list when its final report is written', async () => {
    const study = (await (
      await fetch(`${server.url}/fhir/ImagingStudy?identifier=urn:dicom:uid|urn:oid:${B}`)
    ).json()) as Json;
    await fhir.create({
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { text: 'CT chest' },
      subject: { reference: `Patient/${ids.Ben}` },
      imagingStudy: [{ reference: `ImagingStudy/${study.entry[0].resource.id}` }],
    });
    const body = await until((b) => !item(b, B), 'B to leave the unread list');
    expect(body.total).toBe(4);
    await waitFor(() => events.events.find((e) => e.type === 'read' && e.data.studyInstanceUid === B), {
      what: 'the read event',
    });
    const one = await fetch(`${server.url}/api/worklist/${B}`);
    expect(((await one.json()) as Json).status).toBe('read');
  });

  it('jumps a code stroke to the top, ignoring an entered-in-error flag and an ended encounter', async () => {
    await fhir.flag(ids.Dan, 'code-stroke', 'entered-in-error');
    await fhir.encounter(ids.Dan, 'EMER', 'finished', `Location/${ids.ed}`);
    // Written last: once it counts, the writes before it have been applied.
    await fhir.flag(ids.Dan, 'pending-discharge', 'active');
    let d = item(await until((b) => item(b, D)?.terms.length > 0, 'the pending-discharge flag'), D);
    expect(termsOf(d)).toEqual(['clinical 10']);
    expect(d.terms[0].reason).toMatch(/pending-discharge/);
    const flag = await fhir.flag(ids.Dan, 'code-stroke', 'active');
    const body = await until((b) => item(b, D)?.rank === 1, 'the code stroke at the top');
    d = item(body, D);
    expect(d.tier).toBe('read-now');
    expect(d.terms.find((t: Json) => t.term === 'override')).toMatchObject({
      points: 100,
      evidence: [`Flag/${flag.id}`],
    });
    expect(order(body, [A, D])).toEqual([D, A]);
  });

  it('takes the priority from DICOM Requested Procedure Priority (0040,1003) when no order is found', async () => {
    const uid = `${ROOT}.9`;
    const files = studyInstances({
      uid,
      accession: 'DCM-1',
      patient: {
        key: 'W1',
        mrn: 'WL0001',
        cohort: 'general',
        family: 'Dicom',
        given: 'Stat',
        sex: 'F',
        birthDate: '1970-01-01',
      },
      start: now - 2 * MIN,
      modality: 'CT',
      bodyPart: 'HEAD',
      description: 'CT Head',
      priority: 'stat',
      orderCode: { system: 'urn:test', code: 'CTHEAD', display: 'CT Head' },
      series: [{ number: 1, description: 'Axial', instances: 1, sliceThickness: 5 }],
      referringPhysician: 'Doe^John',
    } as never);
    expect(
      await stow(
        server.url,
        files.map((f) => f.bytes),
      ),
    ).toBe(200);
    const body = await waitFor(
      async () => {
        const b = await list();
        return item(b, uid) ? b : undefined;
      },
      { timeoutMs: 15_000, what: 'the STOWed study on the worklist' },
    );
    const x = item(body, uid);
    expect(x.terms[0]).toMatchObject({ term: 'order', points: 40 });
    expect(x.terms[0].reason).toMatch(/DICOM Requested Procedure Priority STAT/);
    expect(x.received).toEqual(expect.any(String));
    expect(x.accession).toBe('DCM-1');
  });

  it('answers 400 naming the parameter for unknown filters and bad values, 404 for an unknown study', async () => {
    for (const [query, param] of [
      ['?foo=1', 'foo'],
      ['?status=pending', 'status'],
      ['?limit=0', 'limit'],
      ['?limit=abc', 'limit'],
      ['?offset=-1', 'offset'],
      ['?since=yesterday', 'since'],
      ['?modality=C%24T', 'modality'],
    ]) {
      const res = await fetch(`${server.url}/api/worklist${query}`);
      expect(res.status, query).toBe(400);
      const outcome = (await res.json()) as Json;
      expect(outcome.issue[0].expression, query).toEqual([param]);
    }
    expect((await fetch(`${server.url}/api/worklist/1.2.3.4.5`)).status).toBe(404);
    expect((await fetch(`${server.url}/api/worklist/not-a-uid`)).status).toBe(400);
  });

  it('filters by modality and date, and pages with the rank of the whole list', async () => {
    const body = await list('?modality=MR');
    expect(body.total).toBe(0);
    const ct = await list('?modality=CT,MR&limit=2&offset=1');
    expect(ct.items.map((i: Json) => i.rank)).toEqual([2, 3]);
    const all = await list();
    const recent = await list(`?since=${new Date(now - HOUR).toISOString()}`);
    expect(item(recent, Cold)).toBeUndefined();
    expect(item(recent, A)).toBeDefined();
    // Ranks are those of the filtered list, also for items rendered just before at another rank.
    expect(recent.items.map((i: Json) => i.rank)).toEqual(recent.items.map((_: Json, n: number) => n + 1));
    expect(recent.items.some((i: Json) => i.rank !== item(all, i.studyInstanceUid).rank)).toBe(true);
  });
  it('takes a study off the unread list when a final report names its order (basedOn, as a RIS report does)', async () => {
    await fhir.create({
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { text: 'CT chest' },
      subject: { reference: `Patient/${ids.Cleo}` },
      basedOn: [{ reference: `ServiceRequest/${ids.orderCold}` }],
    });
    await until((b) => !item(b, Cold), 'the old follow-up to leave the unread list');
    expect(item(await list('?status=all'), Cold).status).toBe('read');
  });

  it('records a page as ONE AuditEvent naming each patient shown, found by /fhir/AuditEvent?patient= for each', async () => {
    const asked = 'status=all&limit=50&offset=0';
    const page = await list(`?${asked}`);
    const shown = [...new Set(page.items.map((i: Json) => i.patient.id as string))].sort();
    expect(shown.length).toBeGreaterThanOrEqual(4);
    const ofThisPage = (bundle: Json): Json[] =>
      (bundle.entry ?? [])
        .map((e: Json) => e.resource)
        .filter((e: Json) =>
          e.entity.some((x: Json) => x.role?.code === '24' && Buffer.from(x.query, 'base64').toString() === asked),
        );
    for (const patient of shown) {
      const found = await waitFor(
        async () => {
          const res = await fetch(`${server.url}/fhir/AuditEvent?patient=Patient/${patient}&_count=1000`);
          const events = ofThisPage(await res.json());
          return events.length ? events : undefined;
        },
        { timeoutMs: 10_000, what: `the page's AuditEvent through the projection, by patient ${patient}` },
      );
      expect(found).toHaveLength(1);
      const [event] = found;
      expect(event.type.code).toBe('110112');
      const named = event.entity.filter((x: Json) => x.role?.code === '1').map((x: Json) => x.what.reference);
      expect(named.sort()).toEqual(shown.map((id) => `Patient/${id}`));
    }
  });
});
