/**
 * Two instances sharing one FHIR store and one PostgreSQL (a throwaway cluster), real HTTP
 * receiver, real `ws` client:
 * - a rest-hook whose instance is SIGKILLed mid-retry is taken over by the other instance once
 *   its claim runs out, and delivered: the receiver acknowledges it exactly once, and every
 *   attempt carries the same Idempotency-Key (delivery is at least once; see docs/subscriptions.md);
 * - a websocket client bound to instance A is pinged for a write taken by instance B.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { openPool } from '../../core/postgres/pool.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { SqliteFhirRepository } from '../../fhir/sqlite/sqlite-repository.js';
import { TEST_BASE, testRegistry } from '../../fhir/repository/test-support.js';
import { WorkQueue } from '../../core/postgres/work-queue.js';
import { type InstanceSettings, openTestInstance } from './instance-test-support.js';

const CHILD = fileURLToPath(new URL('../../../test/support/notification-instance-child.ts', import.meta.url));
const server = suitePostgres();
const { skip } = server;
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A receiver answering each request with `answer(n)` (1-based): a status, or undefined to never answer. */
async function receiver(answer: (n: number) => number | undefined) {
  const requests: { url: string; key: string | undefined; status: number | undefined }[] = [];
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    const status = answer(requests.length + 1);
    requests.push({ url: req.url!, key: req.headers['idempotency-key'] as string | undefined, status });
    req.resume();
    if (status !== undefined) {
      res.statusCode = status;
      res.end();
    }
  });
  return { requests, http, base: `http://127.0.0.1:${await listenForTest(http)}` };
}

/** Listens on a free loopback port, closed (its connections too) after the test; returns the port. */
async function listenForTest(http: Server): Promise<number> {
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        http.closeAllConnections();
        http.close(() => r());
      }),
  );
  return (http.address() as AddressInfo).port;
}

async function settings(hook: string): Promise<InstanceSettings> {
  const dir = mkdtempSync(join(tmpdir(), 'ib-notify-pg-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const tag = randomBytes(6).toString('hex');
  return {
    fhirFile: join(dir, 'fhir.sqlite'),
    database: await server.url(),
    schema: `wq_${tag}`,
    channel: `ping_${tag}`,
    hook,
    timeoutMs: 1500,
  };
}

function startChild(s: InstanceSettings): Promise<{ child: ChildProcess; patient: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(s)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanups.push(() => kill(child));
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /written (\S+)/.exec(out);
      if (m) resolve({ child, patient: m[1]! });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`child exited (${code}): ${out}`)));
  });
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGKILL');
  });
}

describe.skipIf(skip !== undefined)(server.title('notifications shared by two instances'), () => {
  it('delivers a rest-hook whose instance died mid-retry through the other instance, acknowledged once', async () => {
    // 1st attempt: 503 (a retry is scheduled); 2nd: no answer — the instance is killed meanwhile; then 200.
    const rx = await receiver((n) => (n === 1 ? 503 : n === 2 ? undefined : 200));
    const s = await settings(rx.base);
    // The Subscription is stored before either instance runs (as if written through a third).
    const store = new SqliteFhirRepository(s.fhirFile, { registry: testRegistry(), baseUrl: TEST_BASE });
    const sub = await store.create({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 't',
      criteria: 'Patient?family=Doe',
      channel: { type: 'rest-hook', endpoint: `${rx.base}/hook`, payload: 'application/fhir+json' },
    });
    store.close();

    const { child, patient } = await startChild(s);
    await until(() => rx.requests.length === 2);
    await kill(child);

    const b = await openTestInstance(s);
    cleanups.push(() => b.close());
    await until(() => rx.requests.length === 3);
    const pool = openPool(s.database, { max: 1 });
    cleanups.push(() => pool.end());
    const queue = await WorkQueue.open(pool, { queue: 'rest-hook', schema: s.schema });
    await until(async () => (await queue.counts()).claimed === 0);
    await b.service.idle();

    const key = `${sub.id}|Patient/${patient}|1`;
    expect(rx.requests).toEqual([
      { url: `/hook/Patient/${patient}`, key, status: 503 },
      { url: `/hook/Patient/${patient}`, key, status: undefined },
      { url: `/hook/Patient/${patient}`, key, status: 200 },
    ]);
    expect(await queue.counts()).toEqual({ ready: 0, claimed: 0, waiting: 0, dead: 0 });
    expect((await b.fhir.read('Subscription', sub.id!)).status).toBe('active');
  }, 60_000);

  it('pings a websocket client bound to instance A for a write taken by instance B', async () => {
    const s = await settings('http://127.0.0.1:9');
    const a = await openTestInstance(s);
    cleanups.push(() => a.close());
    const b = await openTestInstance(s);
    cleanups.push(() => b.close());
    const http = createServer();
    const port = await listenForTest(http);
    a.service.websocket.attach(http);
    const sub = await a.fhir.create({
      resourceType: 'Subscription',
      status: 'requested',
      reason: 't',
      criteria: 'Patient?family=Doe',
      channel: { type: 'websocket' },
    });
    await until(async () => (await a.fhir.read('Subscription', sub.id!)).status === 'active');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/fhir-ws`);
    cleanups.push(() => ws.close());
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(m.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send(`bind ${sub.id}`);
    await until(() => messages.length > 0);
    await new Promise((r) => setTimeout(r, 300)); // b re-reads the Subscriptions (every 50 ms)

    await b.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await b.service.idle();
    await until(() => messages.length > 1);
    await a.service.idle();
    expect(messages).toEqual([`bound ${sub.id}`, `ping ${sub.id}`]);
  }, 60_000);
});
