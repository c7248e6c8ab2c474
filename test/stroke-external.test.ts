/**
 * The persisted stroke checks with an external EHR (a second instance of ours over HTTP): the runs
 * are filed under our Patient (the study's subject), the console asks by the EHR's Patient id (the
 * one /api/context and /api/stroke/assessment take), and the two are linked by identifier. Also the
 * paging of GET /api/stroke/recent and the live GET /api/stroke/events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { startTestServer, type TestServer } from './support/server.js';
import { waitFor } from './support/wait.js';
import { EventReader, Fhir, HEAD, MIN } from './worklist-support.js';

const ROOT = '1.2.826.0.1.3680043.10.1456.79';
const get = async (url: string) => {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Json };
};

describe('stroke checks with an external EHR: found by the EHR patient, paged, pushed live', () => {
  let ehr: TestServer;
  let server: TestServer;
  let events: EventReader;
  const ids: Record<string, string> = {};
  const E = `${ROOT}.1`;
  const F = `${ROOT}.2`;

  beforeAll(async () => {
    ehr = await startTestServer({});
    const record = new Fhir(`${ehr.url}/fhir`);
    for (const p of ['Eve', 'Fay']) ids[`ehr${p}`] = (await record.patient(p)).id;
    server = await startTestServer(
      {},
      {
        configFile: {
          fhir: { servers: { ehr: { baseUrl: `${ehr.url}/fhir`, retries: 0 } } },
          context: { fhirServer: 'ehr' },
        },
      },
    );
    events = new EventReader(`${server.url}/api/stroke/events`);
    await events.ready;
    const ours = new Fhir(`${server.url}/fhir`);
    for (const p of ['Eve', 'Fay']) ids[p] = (await ours.patient(p)).id;
    const now = Date.now();
    await ours.study(ids.Eve, E, { started: now - 2 * MIN, site: HEAD, description: 'CT Head without contrast' });
    await ours.study(ids.Fay, F, { started: now - MIN, site: HEAD, description: 'CT Head without contrast' });
  }, 120_000);
  afterAll(async () => {
    events?.close();
    await server?.stop();
    await ehr?.stop();
  });

  it('pushes one run event per automatic check, with our patient and its flags', async () => {
    for (const uid of [E, F])
      await waitFor(() => events.events.find((e) => e.type === 'run' && e.data.studyInstanceUid === uid), {
        timeoutMs: 20_000,
        what: `the run event of ${uid}`,
      });
    const eve = events.events.find((e) => e.data.studyInstanceUid === E)!.data;
    expect(eve.patientId).toBe(ids.Eve);
    expect(eve.unknown.length).toBeGreaterThan(0); // an empty record is missing data
    expect(eve).toMatchObject({ type: 'run', complete: true, present: [] });
  });

  it("finds the saved run of the EHR's patient by identifier, not by id", async () => {
    const all = await waitFor(
      async () => {
        const r = await get(`${server.url}/api/stroke/recent?limit=10`);
        return r.body.total === 2 ? r : undefined;
      },
      { timeoutMs: 20_000, what: 'two persisted runs' },
    );
    expect(all.body.runs.map((r: Json) => r.studyInstanceUid)).toEqual([F, E]);
    const eve = await get(`${server.url}/api/stroke/recent?patient=${ids.ehrEve}`);
    expect(eve.status).toBe(200);
    expect(eve.body.total).toBe(1);
    expect(eve.body.runs).toHaveLength(1);
    expect(eve.body.runs[0]).toMatchObject({ studyInstanceUid: E, patient: { id: ids.Eve } });
    const fay = await get(`${server.url}/api/stroke/recent?patient=${ids.ehrFay}`);
    expect(fay.body.runs.map((r: Json) => r.studyInstanceUid)).toEqual([F]);
    // Our own id is not a Patient of the EHR: the same 404 as /api/stroke/assessment gives.
    expect((await get(`${server.url}/api/stroke/recent?patient=${ids.Eve}`)).status).toBe(404);
  });

  it('pages the runs with limit and offset, and refuses a bad offset naming it', async () => {
    const first = await get(`${server.url}/api/stroke/recent?limit=1`);
    const second = await get(`${server.url}/api/stroke/recent?limit=1&offset=1`);
    const past = await get(`${server.url}/api/stroke/recent?limit=1&offset=2`);
    expect([first.body.total, second.body.total, past.body.total]).toEqual([2, 2, 2]);
    expect([...first.body.runs, ...second.body.runs].map((r: Json) => r.studyInstanceUid)).toEqual([F, E]);
    expect(past.body.runs).toEqual([]);
    for (const bad of ['-1', 'x', '10001']) {
      const r = await get(`${server.url}/api/stroke/recent?offset=${bad}`);
      expect(r.status).toBe(400);
      expect(r.body.issue[0].expression).toEqual(['offset']);
    }
    expect((await get(`${server.url}/api/stroke/events?x=1`)).status).toBe(400);
  });
});
