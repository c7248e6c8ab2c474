import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Json } from './support/http.js';
import { waitFor } from './support/wait.js';
import { runIds, STROKE_SYSTEM } from '../src/applications/stroke/index.js';
import { MRN_SYSTEM } from '../src/demo/identifiers.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freePort } from './support/ports.js';

const FAST_BRIDGE = { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 };
const json = async (url: string, init?: RequestInit) => {
  const res = await fetch(url, init);
  return { status: res.status, body: (await res.json()) as Json };
};

describe('the stroke check runs itself on a head CT, again on its AI result, and notifies', () => {
  let server: TestServer;
  let fhir: string;
  let hook: Server;
  const received: string[] = [];

  beforeAll(async () => {
    hook = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.end());
    });
    const port = await freePort();
    await new Promise<void>((r) => hook.listen(port, '127.0.0.1', r));
    server = await startTestServer(
      { demo: 'true' },
      {
        configFile: {
          bridge: FAST_BRIDGE,
          notifications: { restHookAllowList: [`http://127.0.0.1:${port}/hooks/`], timeoutMs: 2000 },
        },
      },
    );
    fhir = `${server.url}/fhir`;
    const sub = await json(`${fhir}/Subscription`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'stroke console',
        criteria: 'DetectedIssue',
        channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${port}/hooks/stroke` },
      }),
    });
    expect(sub.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    hook?.closeAllConnections();
    await new Promise((r) => hook?.close(r));
  });

  it('writes one List and a DetectedIssue per present or unknown factor, and replaces them when the AI result arrives', async () => {
    // S09: platelets 78 (src/demo/stroke-records.ts).
    const ctx = await waitFor(
      async () => {
        const r = await json(
          `${server.url}/api/context?identifier=${encodeURIComponent(`${MRN_SYSTEM}|IBD100009`)}&include=imagingStudies`,
        );
        return r.body.imagingStudies?.find((s: Json) => /CT Head without/.test(s.description ?? ''))
          ? r.body
          : undefined;
      },
      { timeoutMs: 60_000, what: 'the head CT of S09' },
    );
    const uid = ctx.imagingStudies.find((s: Json) => /CT Head without/.test(s.description)).studyInstanceUid;
    const ids = runIds(uid);
    const list = await waitFor(
      async () => {
        const r = await json(`${fhir}/List/${ids.list}`);
        return r.status === 200 ? r.body : undefined;
      },
      { timeoutMs: 60_000, what: 'the stroke check List' },
    );
    expect(list).toMatchObject({
      code: { coding: [{ system: STROKE_SYSTEM, code: 'thrombolysis-check' }] },
      subject: { reference: `Patient/${ctx.patient.id}` },
    });
    expect(list.entry).toContainEqual({ item: { reference: `DetectedIssue/${ids.issue('platelets')}` } });
    const platelets = (await json(`${fhir}/DetectedIssue/${ids.issue('platelets')}`)).body;
    expect(platelets).toMatchObject({
      status: 'final',
      severity: 'high',
      patient: { reference: `Patient/${ctx.patient.id}` },
    });
    expect(platelets.detail).toContain('Platelets 78');
    expect(platelets.implicated.map((r: Json) => r.reference)).toContainEqual(expect.stringMatching(/^Observation\//));
    const hemorrhageBefore = (await json(`${fhir}/DetectedIssue/${ids.issue('current-hemorrhage')}`)).body;
    expect(hemorrhageBefore.status).toBe('preliminary');
    const before = (await json(`${fhir}/DetectedIssue?patient=${ctx.patient.id}&_count=100`)).body.entry.length;
    const notifiedBefore = received.length;

    const ai = await fetch(`${server.url}/api/ai-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        studyInstanceUid: uid,
        model: { name: 'BleedDetect', version: '1.0' },
        findings: [{ code: { system: 'http://snomed.info/sct', code: '274100004', display: 'Cerebral hemorrhage' } }],
      }),
    });
    expect(ai.status).toBeLessThan(300);
    const hemorrhage = await waitFor(
      async () => {
        const r = (await json(`${fhir}/DetectedIssue/${ids.issue('current-hemorrhage')}`)).body;
        return r.status === 'final' ? r : undefined;
      },
      { timeoutMs: 30_000, what: 'current-hemorrhage present' },
    );
    expect(hemorrhage.severity).toBe('high');
    expect(hemorrhage.implicated.map((r: Json) => r.reference)).toContainEqual(expect.stringMatching(/^Observation\//));
    // Replaced, not piled up.
    expect((await json(`${fhir}/DetectedIssue?patient=${ctx.patient.id}&_count=100`)).body.entry.length).toBe(before);
    // An ordinary R4 Subscription on DetectedIssue was notified of the re-run.
    await waitFor(async () => (received.length > notifiedBefore ? true : undefined), {
      timeoutMs: 15_000,
      what: 'a notification',
    });
    expect(received.at(-1)).toMatch(/^POST \/hooks\/stroke/);
    // And the API answers with the same.
    const api = await json(`${server.url}/api/stroke/assessment?patient=${ctx.patient.id}&study=${uid}`);
    expect(api.body.present).toEqual(expect.arrayContaining(['platelets', 'current-hemorrhage']));
  });

  it('lists the recent runs with their study, patient and flags (GET /api/stroke/recent), and refuses bad input', async () => {
    const mrn = (n: number) => encodeURIComponent(`${MRN_SYSTEM}|IBD${100000 + n}`);
    const s09 = (await json(`${server.url}/api/context?identifier=${mrn(9)}&include=imagingStudies`)).body;
    const uid = s09.imagingStudies.find((s: Json) => /CT Head without/.test(s.description)).studyInstanceUid;
    // Every demo stroke candidate's head CT is checked once the bridge has written it.
    const all = await waitFor(
      async () => {
        const r = await json(`${server.url}/api/stroke/recent?limit=100`);
        return r.body.runs?.length >= 20 ? r.body.runs : undefined;
      },
      { timeoutMs: 60_000, what: 'twenty recent stroke checks' },
    );
    const dates = all.map((r: Json) => r.assessedAt);
    expect([...dates].sort().reverse()).toEqual(dates);
    const run = all.find((r: Json) => r.studyInstanceUid === uid);
    const api = (await json(`${server.url}/api/stroke/assessment?patient=${s09.patient.id}&study=${uid}`)).body;
    expect(run).toMatchObject({
      study: { description: expect.stringMatching(/CT Head without/), modality: ['CT'] },
      patient: { id: s09.patient.id, name: s09.patient.name },
      guideline: 'aha-2026',
      complete: true,
      present: api.present,
      unknown: api.unknown,
    });
    expect(run.present).toContain('platelets');

    const mine = (await json(`${server.url}/api/stroke/recent?patient=${s09.patient.id}&limit=5`)).body.runs;
    expect(mine.map((r: Json) => r.patient.id)).toEqual([s09.patient.id]);
    expect((await json(`${server.url}/api/stroke/recent?limit=3`)).body.runs).toHaveLength(3);

    for (const [q, expression] of [
      ['limit=0', 'limit'],
      ['limit=101', 'limit'],
      ['limit=x', 'limit'],
      ['patient=a%20b', 'patient'],
      ['since=2020', 'since'],
      ['limit=1&limit=2', 'limit'],
    ]) {
      const r = await json(`${server.url}/api/stroke/recent?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.issue[0].expression, q).toEqual([expression]);
    }
  });
});
