/**
 * Finding 5: Subscriptions outlived their client, and any Subscription reader saw other
 * clients' channel.header secrets. Attacks: a client removed with `imaging-bridge clients
 * remove`, or re-registered without the resource scope, kept receiving PHI; a second client
 * with `system/Subscription.rs` (and an administrator) read the first client's
 * `Authorization` header by read, search, history and batch, and could take the Subscription
 * over by a PATCH. Real server under --auth smart, real clients registered with the real CLI,
 * real tokens from the token endpoint, a real HTTP receiver on loopback.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import type { Json } from '../support/http.js';
import { accessToken, registerClient, runCli } from '../support/smart.js';
import type { SmartBench } from './harness.js';
import { startHookBench, type HookReceiver } from './hook-receiver.js';

const SECRET = 'Bearer receiver-secret-7f3a';
const FULL = 'system/Subscription.cruds system/Patient.rs';
/** Each `imaging-bridge clients …` run starts a Node process: seconds each on a loaded machine. */
const CLI_TIMEOUT = 180_000;

describe('Subscriptions follow their subscriber, and keep its header secrets (finding 5)', () => {
  let bench: SmartBench;
  let hooks: HookReceiver;

  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ bench, hooks, stop } = await startHookBench());
  }, 120_000);
  afterAll(() => stop?.());

  /** A client registered with the CLI and a token for it from the token endpoint. */
  const client = async (id: string, scope: string) =>
    accessToken(bench.url, await registerClient(bench.server.dataDir, id, scope), scope);

  const subscribe = async (token: string, path: string, family: string, header = [`Authorization: ${SECRET}`]) => {
    const r = await bench.request('POST', '/fhir/Subscription', token, {
      resourceType: 'Subscription',
      status: 'requested',
      reason: 'security test',
      criteria: `Patient?family=${family}`,
      channel: { type: 'rest-hook', endpoint: `${hooks.base}${path}`, payload: 'application/fhir+json', header },
    });
    expect(r.status).toBe(201);
    await waitFor(async () => ((await subscription(r.body.id)).status === 'active' ? true : undefined), {
      timeoutMs: 15_000,
      what: 'an active Subscription',
    });
    return r.body.id as string;
  };
  const subscription = async (id: string): Promise<Json> =>
    (await bench.get(`/fhir/Subscription/${id}`, bench.admin)).body;
  const writePatient = async (family: string) => {
    const r = await bench.request('POST', '/fhir/Patient', bench.admin, {
      resourceType: 'Patient',
      name: [{ family, given: ['Test'] }],
    });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };
  const delivered = (path: string, patientId: string) =>
    waitFor(async () => hooks.to(path).find((d) => d.path.endsWith(`/Patient/${patientId}`)), {
      timeoutMs: 15_000,
      what: `a delivery of Patient/${patientId} to ${path}`,
    });

  it(
    'stops delivering to a client removed with `imaging-bridge clients remove`',
    async () => {
      const family = `Removed${randomUUID().slice(0, 8)}`;
      const id = await subscribe(await client('hook-removed', FULL), '/removed', family);
      const first = await delivered('/removed', await writePatient(family));
      expect(first.headers.authorization).toBe(SECRET);

      const removed = await runCli([
        'clients',
        'remove',
        '--data-dir',
        bench.server.dataDir,
        '--client-id',
        'hook-removed',
      ]);
      expect(removed.code).toBe(0);
      const second = await writePatient(family);
      const s = await waitFor(
        async () => ((await subscription(id)).status === 'error' ? subscription(id) : undefined),
        { timeoutMs: 15_000, what: 'status error' },
      );
      expect(s.error).toMatch(/hook-removed is no longer registered/);
      expect(hooks.to('/removed').filter((d) => d.path.endsWith(`/Patient/${second}`))).toEqual([]);
    },
    CLI_TIMEOUT,
  );

  it(
    'stops delivering what a client re-registered with fewer scopes may no longer read',
    async () => {
      const family = `Narrowed${randomUUID().slice(0, 8)}`;
      const [narrowed, control] = await Promise.all([client('hook-narrowed', FULL), client('hook-control', FULL)]);
      await subscribe(narrowed, '/narrowed', family);
      await subscribe(control, '/control', family);
      const first = await writePatient(family);
      await delivered('/narrowed', first);

      expect(
        (await runCli(['clients', 'remove', '--data-dir', bench.server.dataDir, '--client-id', 'hook-narrowed'])).code,
      ).toBe(0);
      await registerClient(bench.server.dataDir, 'hook-narrowed', 'system/Subscription.cruds system/Observation.rs');
      const second = await writePatient(family);
      await delivered('/control', second); // the same write reached the client that may still read it
      await new Promise((r) => setTimeout(r, 1000));
      expect(hooks.to('/narrowed').filter((d) => d.path.endsWith(`/Patient/${second}`))).toEqual([]);
    },
    CLI_TIMEOUT,
  );

  it('stops delivering for an external-IdP token once that token has expired', async () => {
    const family = `Expiring${randomUUID().slice(0, 8)}`;
    const exp = Math.floor(Date.now() / 1000) + 4;
    const id = await subscribe(
      await bench.token({ scope: FULL, client: 'ext-app', sub: 'ext-user', exp }),
      '/expiring',
      family,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 200));
    const patient = await writePatient(family);
    const s = await waitFor(async () => ((await subscription(id)).status === 'error' ? subscription(id) : undefined), {
      timeoutMs: 15_000,
      what: 'status error',
    });
    expect(s.error).toMatch(/expired/);
    expect(hooks.to('/expiring').filter((d) => d.path.endsWith(`/Patient/${patient}`))).toEqual([]);
  });

  it(
    "masks another client's channel.header on read, vread, search, history and batch, and refuses its takeover by PATCH or PUT",
    async () => {
      const family = `Masked${randomUUID().slice(0, 8)}`;
      const owner = await client('hook-owner', FULL);
      const id = await subscribe(owner, '/masked', family, [`Authorization: ${SECRET}`, 'X-Api-Key: key-9b1e']);
      const spy = await bench.token({ scope: 'system/Subscription.cruds', client: 'spy-app', sub: 'spy' });
      const masked = ['Authorization: ***', 'X-Api-Key: ***'];

      const answers = [
        (await bench.get(`/fhir/Subscription/${id}`, spy)).body,
        (await bench.get(`/fhir/Subscription/${id}/_history/1`, spy)).body,
        ...(await bench.get(`/fhir/Subscription?_id=${id}`, spy)).body.entry.map((e: Json) => e.resource),
        ...(await bench.get(`/fhir/Subscription/${id}/_history`, spy)).body.entry.map((e: Json) => e.resource),
        ...(await bench.get('/fhir/Subscription/_history', spy)).body.entry
          .map((e: Json) => e.resource)
          .filter((r: Json) => r.id === id),
        ...(
          await bench.request('POST', '/fhir', spy, {
            resourceType: 'Bundle',
            type: 'batch',
            entry: [
              { request: { method: 'GET', url: `Subscription/${id}` } },
              { request: { method: 'GET', url: `Subscription?_id=${id}` } },
            ],
          })
        ).body.entry.flatMap((e: Json) =>
          e.resource.resourceType === 'Bundle' ? e.resource.entry.map((x: Json) => x.resource) : [e.resource],
        ),
        (await bench.get(`/fhir/Subscription/${id}`, bench.admin)).body, // administrators too
      ];
      expect(answers.length).toBeGreaterThanOrEqual(7);
      for (const s of answers) expect(s.channel.header).toEqual(masked);
      expect(JSON.stringify(answers)).not.toContain('receiver-secret');

      // Taking it over would make the spy its subscriber with the secret kept (or copied elsewhere).
      const patch = await bench.request(
        'PATCH',
        `/fhir/Subscription/${id}`,
        spy,
        [{ op: 'copy', from: '/channel/header/0', path: '/reason' }],
        { 'content-type': 'application/json-patch+json' },
      );
      expect(patch.status).toBe(403);
      expect(patch.body.resourceType).toBe('OperationOutcome');
      const put = await bench.request('PUT', `/fhir/Subscription/${id}`, spy, { ...answers[0], reason: 'mine now' });
      expect(put.status).toBe(403);

      // The subscriber itself still sees, and the receiver still gets, the stored values.
      expect((await bench.get(`/fhir/Subscription/${id}`, owner)).body.channel.header).toEqual([
        `Authorization: ${SECRET}`,
        'X-Api-Key: key-9b1e',
      ]);
      const d = await delivered('/masked', await writePatient(family));
      expect(d.headers.authorization).toBe(SECRET);
      expect(d.headers['x-api-key']).toBe('key-9b1e');
    },
    CLI_TIMEOUT,
  );
});
