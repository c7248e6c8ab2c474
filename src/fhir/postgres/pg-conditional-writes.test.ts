import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import { find, TEST_BASE, testRegistry } from '../repository/test-support.js';
import { FhirRouter } from '../rest/router.js';
import type { FhirResponse } from '../rest/context.js';
import { PgFhirRepository } from './pg-repository.js';

/**
 * Conditional create, update and delete from two instances on one database (two repositories,
 * each with its own pool, as two `serve` processes have): the search and the write of each are
 * one step (FhirRepository.exclusive), so the outcome is that of some order of the requests.
 */
const server = suitePostgres();
const { skip } = server;

const SYSTEM = 'urn:ib:test';
const patient = (value: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Patient',
  identifier: [{ system: SYSTEM, value }],
  ...extra,
});
const condition = (value: string) => `identifier=${SYSTEM}|${value}`;
const json = { 'content-type': 'application/fhir+json' };

interface Instances {
  a: PgFhirRepository;
  routers: FhirRouter[];
}

async function twoInstances(test: (i: Instances) => Promise<void>): Promise<void> {
  const url = await server.url();
  const open = (schema: string) => PgFhirRepository.open(url, { registry: testRegistry(), baseUrl: TEST_BASE, schema });
  const a = await open(`t_${randomBytes(6).toString('hex')}`);
  const b = await open((a as unknown as { schema: string }).schema);
  try {
    const routers = [a, b].map(
      (repo) => new FhirRouter({ repo, registry: testRegistry(), baseUrl: TEST_BASE, onError: () => undefined }),
    );
    await test({ a, routers });
  } finally {
    await b.close();
    await a.dropSchema();
    await a.close();
  }
}

const transaction = (router: FhirRouter, entry: Record<string, unknown>) =>
  router.handle({
    method: 'POST',
    path: '',
    query: new URLSearchParams(),
    headers: json,
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry: [entry] }),
  });

const put = (router: FhirRouter, value: string, extra: Record<string, unknown> = {}) =>
  router.handle({
    method: 'PUT',
    path: 'Patient',
    query: new URLSearchParams(condition(value)),
    headers: json,
    body: JSON.stringify(patient(value, extra)),
  });

const remove = (router: FhirRouter, value: string) =>
  router.handle({ method: 'DELETE', path: 'Patient', query: new URLSearchParams(condition(value)), headers: {} });

/** Every answer 200 or 201 (a Bundle's own status is 200), and at most one 201: one create. */
function expectOneCreate(answers: FhirResponse[]): void {
  expect(answers.filter((r) => r.status !== 200 && r.status !== 201).map((r) => r.body)).toEqual([]);
  expect(answers.filter((r) => r.status === 201).length).toBeLessThanOrEqual(1);
}

describe.skipIf(skip !== undefined)(server.title('PostgreSQL conditional writes'), () => {
  it('lets two instances make a conditional create once: the later one finds the first', async () => {
    await twoInstances(async ({ a, routers }) => {
      const post = (router: FhirRouter) =>
        router.handle({
          method: 'POST',
          path: 'Patient',
          query: new URLSearchParams(),
          headers: { ...json, 'if-none-exist': condition('P1') },
          body: JSON.stringify(patient('P1')),
        });
      const bundle = (router: FhirRouter) =>
        transaction(router, {
          fullUrl: 'urn:uuid:6f1c1f0e-2d4b-4c8e-9a51-0d5d8a3c7b11',
          resource: patient('P1'),
          request: { method: 'POST', url: 'Patient', ifNoneExist: condition('P1') },
        });
      // Both kinds from both instances at once: without a lock held from the search to the insert,
      // several find nothing and each creates.
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => (i % 4 < 2 ? post : bundle)(routers[i % 2]!)),
      );
      expectOneCreate(answers);
      expect(await find(a, 'Patient', condition('P1'))).toHaveLength(1);
    });
  });

  it('takes the conditions of a multi-entry transaction together: each created once, in any entry order, no deadlock', async () => {
    await twoInstances(async ({ a, routers }) => {
      const values = ['C1', 'C2', 'C3'];
      const bundle = (router: FhirRouter, order: string[]) =>
        router.handle({
          method: 'POST',
          path: '',
          query: new URLSearchParams(),
          headers: json,
          body: JSON.stringify({
            resourceType: 'Bundle',
            type: 'transaction',
            entry: order.map((v) => ({
              fullUrl: `urn:uuid:${randomUUID()}`,
              resource: patient(v),
              request: { method: 'POST', url: 'Patient', ifNoneExist: condition(v) },
            })),
          }),
        });
      // Entries in opposite orders from both instances: locks taken in entry order would deadlock (409).
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => bundle(routers[i % 2]!, i % 4 < 2 ? values : [...values].reverse())),
      );
      expect(answers.filter((r) => r.status !== 200).map((r) => r.body)).toEqual([]);
      for (const v of values) expect(await find(a, 'Patient', condition(v))).toHaveLength(1);
    });
  });

  it('lets two instances make a conditional update matching nothing create once; the others update it', async () => {
    await twoInstances(async ({ a, routers }) => {
      const bundle = (router: FhirRouter, i: number) =>
        transaction(router, {
          resource: patient('U1', { gender: i % 2 ? 'male' : 'female' }),
          request: { method: 'PUT', url: `Patient?${condition('U1')}` },
        });
      // Without the lock several find nothing and each creates: the condition then matches several (412 after).
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          i % 4 < 2 ? put(routers[i % 2]!, 'U1', { gender: i % 2 ? 'male' : 'female' }) : bundle(routers[i % 2]!, i),
        ),
      );
      expectOneCreate(answers);
      const found = await find(a, 'Patient', condition('U1'));
      expect(found).toHaveLength(1);
      const history = await a.history({ resourceType: 'Patient', id: found[0]!.id }, { count: 100, offset: 0 });
      // One create, then the others as updates (or found unchanged).
      expect(history.entries.map((e) => e.method).filter((m) => m !== 'PUT')).toEqual(['POST']);
    });
  });

  it('keeps what a conditional delete removed removed when an update on the same condition races it', async () => {
    await twoInstances(async ({ a, routers }) => {
      const values = Array.from({ length: 8 }, (_, i) => `D${i}`);
      const originals = await Promise.all(values.map((v) => a.create(patient(v))));
      // In either order the original is gone: update then delete deletes it; delete then update
      // finds nothing and creates another. Without the lock the update, having found the original
      // before the delete, writes it again after the delete: deleted, and back.
      const answers = await Promise.all(
        values.flatMap((v, i) => [put(routers[i % 2]!, v, { active: true }), remove(routers[(i + 1) % 2]!, v)]),
      );
      expect(answers.map((r) => r.status).every((s) => s === 200 || s === 201)).toBe(true);
      for (const original of originals) {
        const read = await a.read('Patient', original.id!).then(
          () => 'alive',
          (e: { status?: number }) => e.status,
        );
        expect(read, `Patient/${original.id}`).toBe(410);
      }
      const remaining = await Promise.all(values.map((v) => find(a, 'Patient', condition(v))));
      expect(remaining.every((r) => r.length <= 1)).toBe(true);
    });
  });

  it('answers 412 to a conditional update or delete matching several, and deletes nothing', async () => {
    await twoInstances(async ({ a, routers }) => {
      await a.create(patient('M1'));
      await a.create(patient('M1'));
      const answers = await Promise.all([put(routers[0]!, 'M1'), remove(routers[1]!, 'M1')]);
      expect(answers.map((r) => r.status)).toEqual([412, 412]);
      expect(await find(a, 'Patient', condition('M1'))).toHaveLength(2);
    });
  });
});
