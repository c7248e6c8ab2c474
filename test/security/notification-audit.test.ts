/**
 * Finding 7 (notification channels): a rest-hook delivery sends PHI out of the server but left
 * no audit record. Now each delivery is recorded (BALP: DICOM Export to the subscriber, one
 * event per patient, naming the resource, the Subscription and the endpoint) before the first
 * byte leaves: the receiver looks into the audit chain the moment the request arrives and finds
 * the record already there. Real server under --auth smart, real receiver on loopback.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import type { SmartBench } from './harness.js';
import { startHookBench, type HookReceiver } from './hook-receiver.js';

describe('rest-hook deliveries are audited before they are sent (finding 7)', () => {
  let bench: SmartBench;
  let hooks: HookReceiver;
  let head = 0;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    // At each arrival: the rest-hook records written so far (read from the audit database itself).
    ({ bench, hooks, stop } = await startHookBench((_d, b) =>
      b.auditSince(head).filter((e) => e.subtype?.[0]?.code === 'rest-hook'),
    ));
  }, 120_000);
  afterAll(() => stop?.());

  it('has the delivery in the audit chain when the receiver gets it', async () => {
    const family = `Audited${randomUUID().slice(0, 8)}`;
    const subscriber = await bench.token({
      scope: 'system/Subscription.cruds system/Patient.rs',
      client: 'audit-hook-app',
      sub: 'audit-hook-app',
    });
    const sub = await bench.request('POST', '/fhir/Subscription', subscriber, {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'audit test',
      criteria: `Patient?family=${family}`,
      channel: {
        type: 'rest-hook',
        endpoint: `${hooks.base}/audited?token=not-recorded`,
        payload: 'application/fhir+json',
        header: ['Authorization: Bearer hook-secret'],
      },
    });
    expect(sub.status).toBe(201);
    await waitFor(
      async () =>
        (await bench.get(`/fhir/Subscription/${sub.body.id}`, bench.admin)).body.status === 'active' ? true : undefined,
      { timeoutMs: 15_000, what: 'active' },
    );
    head = bench.auditHead();

    const patient = await bench.request('POST', '/fhir/Patient', bench.admin, {
      resourceType: 'Patient',
      name: [{ family }],
    });
    expect(patient.status).toBe(201);
    const delivery = await waitFor(
      async () =>
        hooks.to('/audited').find((d) => d.path === `/hooks/audited/Patient/${patient.body.id}?token=not-recorded`),
      { timeoutMs: 15_000, what: 'the delivery' },
    );

    const atArrival = delivery.seen as Json[];
    expect(atArrival).toHaveLength(1);
    const [record] = atArrival;
    expect(record).toMatchObject({
      type: { code: '110106', display: 'Export' },
      action: 'R',
      outcome: '0',
      subtype: [{ system: 'urn:imaging-bridge:audit', code: 'rest-hook' }],
    });
    const refs = record.entity.map((e: Json) => e.what?.reference);
    expect(refs).toEqual(expect.arrayContaining([`Patient/${patient.body.id}`, `Subscription/${sub.body.id}`]));
    const subscription = record.entity.find((e: Json) => e.what?.reference === `Subscription/${sub.body.id}`);
    expect(subscription.detail).toEqual([{ type: 'endpoint', valueString: `${hooks.base}/audited` }]);
    expect(record.agent.find((a: Json) => a.requestor)).toMatchObject({ name: 'audit-hook-app' });
    // Neither the header secret nor the endpoint's query is in the record.
    expect(JSON.stringify(record)).not.toMatch(/hook-secret|not-recorded/);
  });
});
