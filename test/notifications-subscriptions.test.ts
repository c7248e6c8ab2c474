import { createServer, type IncomingMessage, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWebSocket } from './support/websocket-client.js';
import { imagingStudies, stow, type Json } from './support/http.js';
import { waitFor } from './support/wait.js';
import { ROOT, ctInstance } from '../src/dicom/test-support.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freePort } from './support/ports.js';

interface Received {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A real HTTP receiver: records every request; answers 500 while `failing` says so. */
class Receiver {
  readonly requests: Received[] = [];
  failNext = 0;
  failAlways = false;
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        this.requests.push({ method: req.method!, path: req.url!, headers: req.headers, body });
        const fail = this.failAlways || this.failNext-- > 0;
        res.statusCode = fail ? 500 : 200;
        res.end();
      });
    });
    const port = await freePort();
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${port}`;
  }

  on(path: string): Received[] {
    return this.requests.filter((r) => r.path.startsWith(path));
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const FAST_BRIDGE = { debounceMs: 50, minIntervalMs: 200, maxDelayMs: 500, pollMs: 20 };
let n = 0;
const uid = (tag: number) => `${ROOT}.66.${process.pid}.${tag}.${++n}`;

describe('FHIR Subscriptions: rest-hook to a real HTTP receiver, websocket to a real client', () => {
  const receiver = new Receiver();
  let server: TestServer;
  let fhir: string;

  const createSubscription = async (criteria: string, channel: Json): Promise<Json> => {
    const res = await fetch(`${fhir}/Subscription`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason: 'test', criteria, channel }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as Json;
  };
  const subscriptionWhen = (id: string, ready: (s: Json) => boolean, what: string) =>
    waitFor(
      async () => {
        const s = (await (await fetch(`${fhir}/Subscription/${id}`)).json()) as Json;
        return ready(s) ? s : undefined;
      },
      { timeoutMs: 15_000, what: what },
    );
  const hookChannel = (path: string, extra: Json = {}) => ({
    type: 'rest-hook',
    endpoint: `${receiver.url}${path}`,
    header: ['Authorization: Bearer hook-secret'],
    ...extra,
  });
  /** Stores a one-instance study and waits for its ImagingStudy. */
  const storeStudy = async (modality: string, patientId = 'NOTIFY-1') => {
    const study = uid(1);
    expect(await stow(server.url, [ctInstance({ study, series: uid(2), sop: uid(3), modality, patientId })])).toBe(200);
    return waitFor(async () => (await imagingStudies(fhir, study))[0], { timeoutMs: 15_000, what: 'the ImagingStudy' });
  };

  beforeAll(async () => {
    await receiver.start();
    server = await startTestServer(
      {},
      {
        configFile: {
          bridge: FAST_BRIDGE,
          notifications: {
            restHookAllowList: [`${receiver.url}/hooks/`],
            retries: 2,
            retryBaseDelayMs: 20,
            retryMaxDelayMs: 100,
            timeoutMs: 2000,
          },
        },
      },
    );
    fhir = `${server.url}/fhir`;
  });
  afterAll(async () => {
    await server?.stop();
    await receiver.stop();
  });

  it('activates a rest-hook Subscription and POSTs to it when the bridge writes a matching ImagingStudy, not for one that does not match', async () => {
    const sub = await createSubscription('ImagingStudy?modality=CT&status=available', hookChannel('/hooks/ct'));
    await subscriptionWhen(sub.id, (s) => s.status === 'active', 'the active Subscription');
    await storeStudy('MR');
    const ct = await storeStudy('CT');
    const [hit] = await waitFor(async () => (receiver.on('/hooks/ct').length ? receiver.on('/hooks/ct') : undefined), {
      timeoutMs: 15_000,
      what: 'the notification',
    });
    expect(hit).toMatchObject({ method: 'POST', path: '/hooks/ct', body: '' });
    expect(hit.headers.authorization).toBe('Bearer hook-secret');
    // Only the CT study matched: give a late MR notification time to show up, then count.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.on('/hooks/ct')).toHaveLength(1);
    expect(ct.modality[0].code).toBe('CT');
  });

  it('PUTs the resource to [endpoint]/[type]/[id] when the Subscription asks for a payload', async () => {
    const sub = await createSubscription(
      'ImagingStudy?modality=CT',
      hookChannel('/hooks/payload', { payload: 'application/fhir+json' }),
    );
    await subscriptionWhen(sub.id, (s) => s.status === 'active', 'the active Subscription');
    const study = await storeStudy('CT');
    const [hit] = await waitFor(
      async () => {
        const got = receiver.on(`/hooks/payload/ImagingStudy/${study.id}`);
        return got.length ? got : undefined;
      },
      { timeoutMs: 15_000, what: 'the payload notification' },
    );
    expect(hit.method).toBe('PUT');
    expect(hit.headers['content-type']).toBe('application/fhir+json');
    expect(JSON.parse(hit.body)).toMatchObject({ resourceType: 'ImagingStudy', id: study.id });
  });

  it('notifies when AI results arrive for a study', async () => {
    const sub = await createSubscription(
      'DiagnosticReport?status=preliminary',
      hookChannel('/hooks/ai', { payload: 'application/fhir+json' }),
    );
    await subscriptionWhen(sub.id, (s) => s.status === 'active', 'the active Subscription');
    const study = await storeStudy('CT');
    const studyUid = study.identifier[0].value.replace('urn:oid:', '');
    const res = await fetch(`${server.url}/api/ai-results`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        studyInstanceUid: studyUid,
        model: { name: 'Detect', version: '1' },
        findings: [{ code: 'Nodule', confidence: 0.7 }],
      }),
    });
    expect(res.status).toBe(201);
    const { diagnosticReportId } = (await res.json()) as Json;
    const [hit] = await waitFor(
      async () => {
        const got = receiver.on(`/hooks/ai/DiagnosticReport/${diagnosticReportId}`);
        return got.length ? got : undefined;
      },
      { timeoutMs: 15_000, what: 'the AI notification' },
    );
    expect(JSON.parse(hit.body)).toMatchObject({
      status: 'preliminary',
      imagingStudy: [{ reference: `ImagingStudy/${study.id}` }],
    });
  });

  it('refuses a rest-hook endpoint outside the allow-list: status error with the reason, and nothing sent', async () => {
    const outside = await createSubscription('ImagingStudy?modality=CT', {
      type: 'rest-hook',
      endpoint: `${receiver.url}/elsewhere`,
    });
    const lookalike = await createSubscription('ImagingStudy?modality=CT', {
      type: 'rest-hook',
      endpoint: `${receiver.url}/hooks-evil/x`,
    });
    for (const s of [outside, lookalike]) {
      const stored = await subscriptionWhen(s.id, (x) => x.status === 'error', 'the refused Subscription');
      expect(stored.error).toContain('restHookAllowList');
    }
    await storeStudy('CT');
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.on('/elsewhere')).toHaveLength(0);
    expect(receiver.on('/hooks-evil')).toHaveLength(0);
  });

  it('refuses criteria the server cannot search, with the reason on the Subscription', async () => {
    const bad = await createSubscription('ImagingStudy?colour=blue', hookChannel('/hooks/bad'));
    const stored = await subscriptionWhen(bad.id, (x) => x.status === 'error', 'the refused Subscription');
    expect(stored.error).toMatch(/^criteria: /);
  });

  it('retries a failing endpoint with backoff, and marks the Subscription error once it gives up, active again once it succeeds', async () => {
    const sub = await createSubscription('ImagingStudy?modality=DX', hookChannel('/hooks/flaky'));
    await subscriptionWhen(sub.id, (s) => s.status === 'active', 'the active Subscription');
    receiver.failNext = 2;
    await storeStudy('DX');
    await waitFor(async () => (receiver.on('/hooks/flaky').length >= 3 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'three attempts',
    });
    expect(((await (await fetch(`${fhir}/Subscription/${sub.id}`)).json()) as Json).status).toBe('active');

    receiver.failAlways = true;
    await storeStudy('DX');
    const failed = await subscriptionWhen(sub.id, (s) => s.status === 'error', 'the Subscription in error');
    expect(failed.error).toMatch(/rest-hook delivery failed after 3 attempt\(s\): HTTP 500/);
    expect(receiver.on('/hooks/flaky')).toHaveLength(6);

    receiver.failAlways = false;
    await storeStudy('DX');
    const recovered = await subscriptionWhen(sub.id, (s) => s.status === 'active', 'the recovered Subscription');
    expect(recovered.error).toBeUndefined();
  });

  it('binds a websocket client to a websocket Subscription and pings it when a matching resource is written', async () => {
    const sub = await createSubscription('ImagingStudy?modality=CT&status=available', { type: 'websocket' });
    await subscriptionWhen(sub.id, (s) => s.status === 'active', 'the active Subscription');
    const ws = await connectWebSocket(`${server.url.replace('http', 'ws')}/fhir-ws`);
    try {
      ws.send('bind unknown-id');
      expect(await ws.next()).toMatch(/^error unknown-id: /);
      ws.send(`bind ${sub.id}`);
      expect(await ws.next()).toBe(`bound ${sub.id}`);
      await storeStudy('CT');
      expect(await ws.next(15_000)).toBe(`ping ${sub.id}`);
    } finally {
      ws.close();
    }
  });
});
