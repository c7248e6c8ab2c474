/**
 * Two instances sharing one FHIR store (as with PostgreSQL): each sees only the writes made
 * through it, so a Subscription written through one must reach the other by re-reading. Real
 * SQLite store shared by two observed repositories and routers, a real HTTP receiver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inProcessFhirClient } from '../fhir/client/index.js';
import { ObservedRepository } from '../fhir/repository/observed-repository.js';
import { TEST_BASE, testRegistry } from '../fhir/repository/test-support.js';
import { FhirRouter } from '../fhir/rest/router.js';
import { SqliteFhirRepository } from '../fhir/sqlite/sqlite-repository.js';
import { NotificationService } from './service.js';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function twoInstances(refreshMs: number | undefined) {
  const arrived: string[] = [];
  const receiver = createServer((req, res) => {
    arrived.push(req.url!);
    req.resume();
    res.end();
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'ib-notify-shared-'));
  const store = new SqliteFhirRepository(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
  const instance = async () => {
    const repo = new ObservedRepository(store);
    const fhir = inProcessFhirClient(new FhirRouter({ repo, registry: testRegistry(), baseUrl: TEST_BASE }), TEST_BASE);
    const service = new NotificationService({
      fhir,
      onWrite: (l) => repo.onWrite(l),
      config: { restHookAllowList: [`${hook}/`], retries: 0, retryBaseDelayMs: 1, retryMaxDelayMs: 1, timeoutMs: 2000 },
      logger: silent,
      ...(refreshMs ? { refreshMs } : {}),
    });
    await service.start();
    cleanups.push(() => service.close());
    return { fhir, service };
  };
  const a = await instance();
  const b = await instance();
  cleanups.push(() => {
    receiver.closeAllConnections();
    receiver.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { a, b, hook, arrived };
}

const subscription = (hook: string) => ({
  resourceType: 'Subscription' as const,
  status: 'requested',
  reason: 't',
  criteria: 'Patient?family=Doe',
  channel: { type: 'rest-hook', endpoint: `${hook}/hook`, payload: 'application/fhir+json' },
});

describe('Subscriptions on a store shared by two instances', () => {
  it('are matched by the writes of the instance they were not written through, once it re-read them', async () => {
    const { a, b, hook, arrived } = await twoInstances(50);
    const sub = await a.fhir.create(subscription(hook));
    await a.service.idle();
    expect((await a.fhir.read('Subscription', sub.id!)).status).toBe('active');
    await new Promise((r) => setTimeout(r, 200)); // a few refreshes of b
    const p = await b.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await b.service.idle();
    await a.service.idle();
    // Notified once, by the instance that took the write.
    expect(arrived).toEqual([`/hook/Patient/${p.id}`]);
    // Turned off through a: b stops notifying at its next refresh.
    await a.fhir.update({ ...(await a.fhir.read('Subscription', sub.id!)), status: 'off' });
    await new Promise((r) => setTimeout(r, 200));
    await b.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await b.service.idle();
    expect(arrived).toHaveLength(1);
  });

  it('are missed by the other instance without re-reading (what the refresh is for)', async () => {
    const { a, b, hook, arrived } = await twoInstances(undefined);
    await a.fhir.create(subscription(hook));
    await a.service.idle();
    await new Promise((r) => setTimeout(r, 200));
    await b.fhir.create({ resourceType: 'Patient', name: [{ family: 'Doe' }] });
    await b.service.idle();
    expect(arrived).toEqual([]);
  });
});
