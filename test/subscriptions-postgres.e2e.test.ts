/**
 * `serve --database postgres://…` twice on one database (in this process, two data dirs): a
 * Subscription written through server 1 is notified for a write taken by server 2 — the
 * rest-hook through the shared work queue (retried after a 503 by either server, acknowledged
 * once, one Idempotency-Key), the websocket ping to a client bound to server 1 through
 * LISTEN/NOTIFY. The SIGKILL mid-retry is src/notifications/postgres/two-instances.test.ts.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openPool } from '../src/core/postgres/pool.js';
import { testDatabase } from '../src/core/postgres/test-database.js';
import { startTestServer, type TestServer } from './support/server.js';

const db = testDatabase();
const skip = db.skip;
const requests: { url: string; key: string | undefined; status: number }[] = [];
const receiver = createServer((req, res) => {
  const status = requests.length === 0 ? 503 : 200;
  requests.push({ url: req.url!, key: req.headers['idempotency-key'] as string | undefined, status });
  req.resume();
  res.statusCode = status;
  res.end();
});
let hook = '';
const servers: TestServer[] = [];

beforeAll(async () => {
  await db.setup();
  if (skip) return;
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const configFile = {
    notifications: { restHookAllowList: [`${hook}/`], retries: 3, retryBaseDelayMs: 200, retryMaxDelayMs: 400 },
  };
  for (let i = 0; i < 2; i++)
    servers.push(await startTestServer({ database: db.url(), 'audit-key-file': db.auditKeyFile }, { configFile }));
}, 120_000);

afterAll(async () => {
  for (const s of servers) await s.stop();
  receiver.closeAllConnections();
  receiver.close();
  await db.teardown();
});

async function post(server: TestServer, type: string, body: object): Promise<{ id: string }> {
  const r = await fetch(`${server.url}/fhir/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: type, ...body }),
  });
  expect(r.status).toBe(201);
  return (await r.json()) as { id: string };
}

const status = async (server: TestServer, id: string) =>
  ((await (await fetch(`${server.url}/fhir/Subscription/${id}`)).json()) as { status: string }).status;

describe.skipIf(skip !== undefined)(`Subscriptions on two serve --database${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('delivers a rest-hook for a write on server 2 once, retried through the shared queue', async () => {
    const [one, two] = servers as [TestServer, TestServer];
    const sub = await post(one, 'Subscription', {
      status: 'requested',
      reason: 'e2e',
      criteria: 'Patient?family=Hookson',
      channel: { type: 'rest-hook', endpoint: `${hook}/hook`, payload: 'application/fhir+json' },
    });
    await expect.poll(() => status(one, sub.id), { timeout: 10_000 }).toBe('active');
    await new Promise((r) => setTimeout(r, 2_500)); // server 2 re-reads the Subscriptions every 2 s
    const patient = await post(two, 'Patient', { name: [{ family: 'Hookson' }] });
    await expect.poll(() => requests.length, { timeout: 20_000 }).toBe(2);
    const pool = openPool(db.url(), { max: 1 });
    try {
      await expect
        .poll(
          async () =>
            Number((await pool.query("SELECT count(*) AS n FROM work_queue.job WHERE queue = 'rest-hook'")).rows[0].n),
          {
            timeout: 10_000,
          },
        )
        .toBe(0);
    } finally {
      await pool.end();
    }
    const key = `${sub.id}|Patient/${patient.id}|1`;
    expect(requests).toEqual([
      { url: `/hook/Patient/${patient.id}`, key, status: 503 },
      { url: `/hook/Patient/${patient.id}`, key, status: 200 },
    ]);
    expect(await status(one, sub.id)).toBe('active');
  }, 60_000);

  it('pings a websocket client bound to server 1 for a write taken by server 2', async () => {
    const [one, two] = servers as [TestServer, TestServer];
    const sub = await post(one, 'Subscription', {
      status: 'requested',
      reason: 'e2e',
      criteria: 'Patient?family=Socketson',
      channel: { type: 'websocket' },
    });
    await expect.poll(() => status(one, sub.id), { timeout: 10_000 }).toBe('active');
    const ws = new WebSocket(`${one.url.replace(/^http/, 'ws')}/fhir-ws`);
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    try {
      await new Promise((r) => ws.once('open', r));
      ws.send(`bind ${sub.id}`);
      await expect.poll(() => messages.length, { timeout: 5_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 2_500)); // server 2 re-reads the Subscriptions
      await post(two, 'Patient', { name: [{ family: 'Socketson' }] });
      await expect.poll(() => messages.length, { timeout: 10_000 }).toBe(2);
      expect(messages).toEqual([`bound ${sub.id}`, `ping ${sub.id}`]);
    } finally {
      ws.close();
    }
  }, 60_000);
});
