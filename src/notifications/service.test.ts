/**
 * Record first, then disclose: a notification whose audit record cannot be written is not sent
 * (rest-hook: no request reaches the receiver; websocket: no 101, no `bound`, no `ping`), and one
 * whose record is written reaches its receiver only after that. Real SQLite, real router, a real
 * HTTP receiver and the real `ws` client on loopback.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { inProcessFhirClient } from '../fhir/client/index.js';
import { ObservedRepository } from '../fhir/repository/observed-repository.js';
import { TEST_BASE, testRegistry } from '../fhir/repository/test-support.js';
import { FhirRouter } from '../fhir/rest/router.js';
import { SqliteFhirRepository } from '../fhir/sqlite/sqlite-repository.js';
import { NotificationService, type NotificationRecord } from './service.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A service over a fresh embedded store; `record` decides whether audit records can be written. */
async function setUp(record: (r: NotificationRecord) => Promise<void>) {
  const arrived: { at: number; path: string }[] = [];
  const receiver = await listen(
    createServer((req, res) => {
      arrived.push({ at: Date.now(), path: req.url! });
      req.resume();
      res.end();
    }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'ib-notify-'));
  const sqlite = new SqliteFhirRepository(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
  const repo = new ObservedRepository(sqlite);
  const router = new FhirRouter({ repo, registry: testRegistry(), baseUrl: TEST_BASE });
  const fhir = inProcessFhirClient(router, TEST_BASE);
  const service = new NotificationService({
    fhir,
    onWrite: (l) => repo.onWrite(l),
    config: {
      restHookAllowList: [`http://${receiver}/`],
      retries: 0,
      retryBaseDelayMs: 1,
      retryMaxDelayMs: 1,
      timeoutMs: 2000,
    },
    logger: silent,
    record,
  });
  await service.start();
  cleanups.push(() => {
    service.close();
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const subscribe = async (channel: Record<string, unknown>) => {
    const s = await fhir.create({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 't',
      criteria: 'Patient?family=Doe',
      channel,
    });
    await service.idle();
    return s.id!;
  };
  return { service, fhir, receiver, arrived, subscribe };
}

describe('notifications are recorded before they are sent', () => {
  it('sends no rest-hook request when the record cannot be written, and records before sending otherwise', async () => {
    const failing = await setUp(() => Promise.reject(new Error('audit disk full')));
    await failing.subscribe({
      type: 'rest-hook',
      endpoint: `http://${failing.receiver}/hook`,
      payload: 'application/fhir+json',
    });
    await failing.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await failing.service.idle();
    expect(failing.arrived).toEqual([]);

    const written: { at: number; r: NotificationRecord }[] = [];
    const working = await setUp(async (r) => void written.push({ at: Date.now(), r }));
    await working.subscribe({
      type: 'rest-hook',
      endpoint: `http://${working.receiver}/hook`,
      payload: 'application/fhir+json',
    });
    const p = await working.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await working.service.idle();
    expect(working.arrived.map((a) => a.path)).toEqual([`/hook/Patient/${p.id}`]);
    expect(written.map((w) => w.r.access)).toEqual([
      {
        kind: 'notification',
        event: 'rest-hook',
        subscriptionId: expect.any(String),
        resource: `Patient/${p.id}`,
        patientIds: [p.id],
        endpoint: `http://${working.receiver}/hook`,
        payload: true,
      },
    ]);
    expect(written[0]!.at).toBeLessThanOrEqual(working.arrived[0]!.at);
  });

  it('refuses the websocket upgrade (503) when its record cannot be written, and sends no ping without its record', async () => {
    let failPings = false;
    const t = await setUp(async (r) => {
      if (r.access.event === 'websocket-notification' && failPings) throw new Error('audit disk full');
    });
    const http = createServer();
    const host = await listen(http);
    t.service.websocket.attach(http);
    const id = await t.subscribe({ type: 'websocket' });
    const ws = new WebSocket(`ws://${host}/fhir-ws`);
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(`bind ${id}`);
    await waitUntil(() => messages.length > 0);
    expect(messages).toEqual([`bound ${id}`]);
    await t.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await waitUntil(() => messages.length > 1);
    expect(messages).toEqual([`bound ${id}`, `ping ${id}`]);
    failPings = true;
    await t.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await t.service.idle();
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toEqual([`bound ${id}`, `ping ${id}`]);
    ws.close();

    const refusing = await setUp(() => Promise.reject(new Error('audit disk full')));
    const http2 = createServer();
    const host2 = await listen(http2);
    refusing.service.websocket.attach(http2);
    const status = await new Promise<number>((resolve) => {
      const c = new WebSocket(`ws://${host2}/fhir-ws`);
      c.on('unexpected-response', (_q, res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      c.on('open', () => resolve(101));
      c.on('error', () => undefined);
    });
    expect(status).toBe(503);
  });
});

async function waitUntil(ok: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
