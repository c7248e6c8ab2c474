import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  FhirNetworkError,
  FhirServerError,
  FhirTimeoutError,
  httpFhirClient,
  parseFhirServers,
  type FhirClient,
} from '../src/fhir/client/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { freePort } from './support/ports.js';

/** What the proxy does with the next request: forward it, answer an error, or hold it past the client's timeout. */
type Step = 'forward' | 'hold' | { status: number; headers?: Record<string, string> };

/** A tiny HTTP proxy in front of the peer that fails as scripted before forwarding. */
class FlakyProxy {
  script: Step[] = [];
  seen: { method: string; authorization?: string }[] = [];
  private readonly held = new Set<ServerResponse>();
  private server?: Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.seen.push({ method: req.method ?? '', authorization: req.headers.authorization });
    const step = this.script.shift() ?? 'forward';
    if (step === 'hold') {
      this.held.add(res);
      return;
    }
    if (step !== 'forward') {
      req.resume();
      res.writeHead(step.status, { 'content-type': 'text/plain', ...step.headers }).end('scripted failure');
      return;
    }
    const upstream = request(
      `${this.target}${req.url}`,
      { method: req.method, headers: { ...req.headers, host: new URL(this.target).host } },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  }
}

describe('HTTP FHIR client retries (proxy in front of a second ImagingBridge)', () => {
  let peer: TestServer;
  let proxy: FlakyProxy;
  let patientId: string;
  let waits: number[];

  const client = (settings: Record<string, unknown>, baseUrl = `${proxy.url}/fhir`): FhirClient => {
    const { s } = parseFhirServers({
      s: {
        baseUrl,
        auth: { type: 'bearer', token: 'secret-token' },
        retryBaseDelayMs: 10,
        retryMaxDelayMs: 5_000,
        ...settings,
      },
    });
    // Waits are recorded, not slept: the test checks what the client asked for without timing anything.
    return httpFhirClient(s, { sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
  };

  beforeAll(async () => {
    peer = await startTestServer();
    proxy = new FlakyProxy(peer.url);
    await proxy.start();
    waits = [];
    patientId = (await client({ retries: 0 }).create({ resourceType: 'Patient', gender: 'female' })).id!;
  });
  afterAll(async () => {
    await proxy?.stop();
    await peer?.stop();
  });
  beforeEach(() => {
    proxy.seen = [];
    proxy.script = [];
    waits = [];
  });

  it('retries 429 and 500 answers with backoff, sending the bearer token each time, and then succeeds', async () => {
    proxy.script = [{ status: 429, headers: { 'retry-after': '0' } }, { status: 500 }, { status: 503 }];
    const patient = await client({ retries: 3 }).read('Patient', patientId);
    expect(patient.gender).toBe('female');
    expect(proxy.seen).toHaveLength(4);
    expect(proxy.seen.every((s) => s.authorization === 'Bearer secret-token')).toBe(true);
    // Equal jitter with random() = 0.5: three quarters of 10, 20, 40 ms.
    expect(waits).toEqual([8, 15, 30]);
  });

  it('gives up after the configured retries with the last error as a typed FhirServerError', async () => {
    proxy.script = Array.from({ length: 10 }, () => ({ status: 503 }));
    const error = await client({ retries: 2 })
      .read('Patient', patientId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirServerError);
    expect((error as FhirServerError).status).toBe(503);
    expect((error as FhirServerError).attempts).toBe(3);
    expect(proxy.seen).toHaveLength(3);
  });

  it('waits at least as long as Retry-After asks, and gives up at once when it asks for more than the maximum delay', async () => {
    proxy.script = [{ status: 429, headers: { 'retry-after': '2' } }];
    await client({ retries: 3 }).read('Patient', patientId);
    expect(waits).toEqual([2000]);
    proxy.script = [{ status: 429, headers: { 'retry-after': '120' } }];
    const error = await client({ retries: 3 })
      .read('Patient', patientId)
      .catch((e: unknown) => e);
    expect((error as FhirServerError).status).toBe(429);
    expect(proxy.seen).toHaveLength(3);
  });

  it('does not resend a plain create after a 500 (it may have been stored), but does after a 429', async () => {
    proxy.script = [{ status: 500 }];
    const error = await client({ retries: 3 })
      .create({ resourceType: 'Patient' })
      .catch((e: unknown) => e);
    expect((error as FhirServerError).status).toBe(500);
    expect(proxy.seen).toHaveLength(1);
    proxy.seen = [];
    proxy.script = [{ status: 429 }];
    expect((await client({ retries: 3 }).create({ resourceType: 'Patient' })).id).toBeTruthy();
    expect(proxy.seen).toHaveLength(2);
  });

  it('resends a conditional create after a 500: If-None-Exist makes it safe', async () => {
    proxy.script = [{ status: 500 }];
    const identifier = { system: 'urn:test:retry', value: `c-${Date.now()}` };
    const result = await client({ retries: 3 }).createIfNoneExist(
      { resourceType: 'Patient', identifier: [identifier] },
      { identifier: `${identifier.system}|${identifier.value}` },
    );
    expect(result.created).toBe(true);
    expect(proxy.seen).toHaveLength(2);
  });

  it('retries a read that times out and reports a FhirTimeoutError when every attempt does', async () => {
    proxy.script = ['hold'];
    expect((await client({ retries: 2, timeoutMs: 1_500 }).read('Patient', patientId)).id).toBe(patientId);
    expect(proxy.seen).toHaveLength(2);
    proxy.seen = [];
    proxy.script = ['hold', 'hold'];
    const error = await client({ retries: 1, timeoutMs: 300 })
      .read('Patient', patientId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirTimeoutError);
    expect(proxy.seen).toHaveLength(2);
  });

  it('retries a refused connection and then reports a FhirNetworkError', async () => {
    const closed = await freePort();
    const error = await client({ retries: 2 }, `http://127.0.0.1:${closed}/fhir`)
      .read('Patient', patientId)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FhirNetworkError);
    expect((error as FhirNetworkError).attempts).toBe(3);
    expect(waits).toHaveLength(2);
  });
});
