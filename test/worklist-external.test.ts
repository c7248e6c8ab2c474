/**
 * The worklist with an external record server (`context.fhirServer`): a second instance of ours is
 * the EHR, over HTTP. Studies live on our server; orders, encounters, flags and final reports on the
 * EHR under its own Patient ids, linked by the patient's identifier. Changes on the EHR reach the
 * list (and its event stream) by polling.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';
import { CHEST, EventReader, Fhir, HEAD, MIN, termsOf } from './worklist-support.js';

const ROOT = '1.2.826.0.1.3680043.10.1456.78';

describe('the worklist reads the clinical context from an external EHR (a second instance of ours)', () => {
  let ehr: TestServer;
  let server: TestServer;
  let ours: Fhir;
  let record: Fhir;
  let events: EventReader;
  const ids: Record<string, string> = {};
  const now = Date.now();
  const A = `${ROOT}.1`; // Ada: STAT order and ED encounter on the EHR
  const B = `${ROOT}.2`; // Ben: no patient on the EHR
  const C = `${ROOT}.3`; // Cleo: routine, a code-stroke flag and then a final report arrive on the EHR

  const list = async (query = ''): Promise<Json> => {
    const res = await fetch(`${server.url}/api/worklist${query}`);
    expect(res.status).toBe(200);
    return res.json();
  };
  const item = (body: Json, uid: string): Json => body.items.find((i: Json) => i.studyInstanceUid === uid);
  const until = (check: (body: Json) => boolean, what: string, query = '') =>
    waitFor(
      async () => {
        const body = await list(query);
        return check(body) ? body : undefined;
      },
      { timeoutMs: 15_000, what },
    );

  beforeAll(async () => {
    ehr = await startTestServer({});
    record = new Fhir(`${ehr.url}/fhir`);
    const ed = await record.create({
      resourceType: 'Location',
      status: 'active',
      name: 'Emergency Department',
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'ER' }] }],
    });
    // The EHR's patients come first (their ids differ from ours); Ada's order and ED visit too.
    for (const p of ['Ada', 'Cleo']) ids[`ehr${p}`] = (await record.patient(p)).id;
    ids.orderA = (await record.order(ids.ehrAda, 'stat', { accession: 'A-1' })).id;
    ids.encounterA = (await record.encounter(ids.ehrAda, 'EMER', 'in-progress', `Location/${ed.id}`)).id;
    ids.orderC = (await record.order(ids.ehrCleo, 'routine', { accession: 'C-1' })).id;
    server = await startTestServer(
      {},
      {
        configFile: {
          fhir: { servers: { ehr: { baseUrl: `${ehr.url}/fhir`, retries: 0 } } },
          context: { fhirServer: 'ehr' },
          worklist: { recordPollSeconds: 1 },
        },
      },
    );
    ours = new Fhir(`${server.url}/fhir`);
    events = new EventReader(`${server.url}/api/worklist/events`);
    await events.ready;
    for (const p of ['Ada', 'Ben', 'Cleo']) ids[p] = (await ours.patient(p)).id;
    await ours.study(ids.Ada, A, { started: now - MIN, site: HEAD, accession: 'A-1' });
    await ours.study(ids.Ben, B, { started: now - 2 * MIN, site: CHEST, accession: 'B-1' });
    await ours.study(ids.Cleo, C, { started: now - 3 * MIN, site: CHEST, accession: 'C-1' });
  }, 120_000);
  afterAll(async () => {
    events?.close();
    await server?.stop();
    await ehr?.stop();
  });

  it('scores the order and the ED encounter read from the EHR, with their EHR URLs as evidence', async () => {
    const body = await until((b) => item(b, A)?.terms.length === 2 && !!item(b, C) && !!item(b, B), 'the EHR context');
    const a = item(body, A);
    expect(termsOf(a)).toEqual(['order 40', 'setting 25']);
    expect(a.terms[0].evidence).toEqual([`${ehr.url}/fhir/ServiceRequest/${ids.orderA}`]);
    expect(a.terms[1].evidence).toContain(`${ehr.url}/fhir/Encounter/${ids.encounterA}`);
    // Our Patient id in the item (the studies are ours); the EHR's is never mixed in.
    expect(a.patient).toEqual({ id: ids.Ada, name: 'Test Ada', identifier: 'Ada', recordId: ids.ehrAda });
    expect(termsOf(item(body, C))).toEqual(['order 0']);
    // Ben has no Patient on the EHR: nothing clinical, and nothing of another patient.
    expect(item(body, B).terms).toEqual([]);
    expect(body.items.map((i: Json) => i.studyInstanceUid).slice(0, 1)).toEqual([A]);
  });

  it('does not score a flag written on our own server: the clinical record is the EHR', async () => {
    await ours.flag(ids.Ben, 'code-stroke', 'active');
    await new Promise((r) => setTimeout(r, 1500));
    expect(item(await list(), B).terms).toEqual([]);
  });

  it('follows the EHR: a code-stroke flag jumps the queue, an ended visit stops counting, a final report removes the study', async () => {
    const flagged = Date.now();
    const flag = await record.flag(ids.ehrCleo, 'code-stroke', 'active');
    const moved = await until((b) => b.items[0]?.studyInstanceUid === C, 'the code stroke on top');
    expect(termsOf(item(moved, C))).toEqual(['order 0', 'override 100']);
    expect(item(moved, C).terms[1].evidence).toEqual([`${ehr.url}/fhir/Flag/${flag.id}`]);
    const event = await waitFor(
      () => events.events.find((e) => e.at >= flagged && e.data.studyInstanceUid === C && e.type === 'moved'),
      { timeoutMs: 5000, what: 'the moved event of the flag' },
    );
    expect(event.data.rank).toBe(1);

    const encounter = (await (await fetch(`${ehr.url}/fhir/Encounter/${ids.encounterA}`)).json()) as Json;
    await record.update({ ...encounter, status: 'finished' });
    const ended = await until((b) => item(b, A)?.terms.length === 1, 'the ended ED visit');
    expect(termsOf(item(ended, A))).toEqual(['order 40']);

    await record.create({
      resourceType: 'DiagnosticReport',
      status: 'final',
      code: { text: 'CT chest' },
      subject: { reference: `Patient/${ids.ehrCleo}` },
      basedOn: [{ reference: `ServiceRequest/${ids.orderC}` }],
    });
    const read = await until((b) => !item(b, C), 'the reported study off the unread list');
    expect(read.total).toBe(2);
    expect(item(await list('?status=all'), C).status).toBe('read');
    await waitFor(() => events.events.find((e) => e.data.studyInstanceUid === C && e.type === 'read'), {
      timeoutMs: 5000,
      what: 'the read event',
    });
  });
});
