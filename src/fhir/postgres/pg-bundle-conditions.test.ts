import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openPool } from '../../core/postgres/pool.js';
import { countStatements } from '../../core/postgres/statement-counter.js';
import { suitePostgres } from '../../core/postgres/suite-postgres.js';
import type { FhirRepository } from '../repository/repository.js';
import { TEST_BASE, testRegistry } from '../repository/test-support.js';
import { parseSearch } from '../search/parse-search.js';
import type { FhirResponse } from '../rest/context.js';
import { FhirRouter } from '../rest/router.js';
import type { BundleEntry } from '../types.js';
import { PgFhirRepository } from './pg-repository.js';
import { withoutBatching } from '../repository/without-batching.js';

/**
 * A transaction Bundle's conditional creates on PostgreSQL: their If-None-Exist searches in one
 * statement (FhirRepository.searchMany), their creates in one (createMany), with the answers of
 * searching and creating them one by one.
 */
const server = suitePostgres();
const { skip } = server;

const SYSTEM = 'urn:ib:test';
const json = { 'content-type': 'application/fhir+json' };
const patient = (value: string, id?: string) => ({
  resourceType: 'Patient',
  ...(id ? { id } : {}),
  identifier: [{ system: SYSTEM, value }],
});
const conditional = (value: string): BundleEntry => ({
  fullUrl: `urn:uuid:${randomUUID()}`,
  resource: patient(value),
  request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYSTEM}|${value}` },
});

interface Store {
  repo: PgFhirRepository;
  router: FhirRouter;
  /** Statements sent on the store's connections so far. */
  statements(): number;
}

/** A repository in a fresh schema on a pool whose statements are counted; `oneByOne`: without searchMany and createMany. */
async function withStore(test: (s: Store) => Promise<void>, oneByOne = false): Promise<void> {
  const pool = openPool(await server.url());
  const statements = countStatements(pool);
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const repo = await PgFhirRepository.open(pool, { registry: testRegistry(), baseUrl: TEST_BASE, schema });
  const served: FhirRepository = oneByOne ? withoutBatching(repo) : repo;
  try {
    const router = new FhirRouter({
      repo: served,
      registry: testRegistry(),
      baseUrl: TEST_BASE,
      onError: () => undefined,
    });
    await test({ repo, router, statements });
  } finally {
    await repo.dropSchema();
    await pool.end();
  }
}

const transaction = (router: FhirRouter, entry: BundleEntry[]) =>
  router.handle({
    method: 'POST',
    path: '',
    query: new URLSearchParams(),
    headers: json,
    body: JSON.stringify({ resourceType: 'Bundle', type: 'transaction', entry }),
  });

/** The Bundle's answer with the ids it made replaced by `new` (the seeded ones kept): comparable across stores. */
function shape(res: FhirResponse, seeded: ReadonlySet<string>): unknown {
  // The audit record of each entry: ran (its status) or not (none), and what it touched.
  const audit = res.access?.entries?.map((e) => ({
    status: e.status,
    interaction: e.interaction,
    id: e.id && (seeded.has(e.id) ? e.id : 'new'),
    versionId: e.versionId,
  }));
  if (res.status !== 200) return { status: res.status, body: res.body, audit };
  const entries = (res.body as unknown as { entry: BundleEntry[] }).entry;
  const answers = entries.map((e) => {
    const id = /Patient\/([^/]+)/.exec(e.response?.location ?? '')?.[1] ?? e.resource?.id;
    return { status: e.response?.status, id: id && (seeded.has(id) ? id : 'new'), etag: e.response?.etag };
  });
  return { answers, audit };
}

/** Seeds: `one` once, `two` twice (a condition matching several), under fixed ids. */
async function seed(repo: FhirRepository): Promise<Set<string>> {
  await repo.create(patient('one', 'seed-1'), { keepId: true });
  await repo.create(patient('two', 'seed-2a'), { keepId: true });
  await repo.create(patient('two', 'seed-2b'), { keepId: true });
  return new Set(['seed-1', 'seed-2a', 'seed-2b']);
}

describe.skipIf(skip !== undefined)(server.title('PostgreSQL transaction conditional creates'), () => {
  it('searches the conditions of all its conditional creates in one statement and creates them in one, whatever their number', async () => {
    const added: number[] = [];
    for (const oneByOne of [false, true]) {
      await withStore(async ({ router, statements }) => {
        const run = async (n: number) => {
          const before = statements();
          const res = await transaction(
            router,
            Array.from({ length: n }, () => conditional(randomUUID())),
          );
          expect(res.status).toBe(200);
          return statements() - before;
        };
        const few = await run(2);
        added.push((await run(10)) - few);
      }, oneByOne);
    }
    // 8 more conditional creates: no more statements (one search, one insert for all); one by one, a search and an insert each.
    expect(added).toEqual([0, 16]);
  });

  it('searchMany answers each page as search does (several matches in key order, offsets, sorts, none)', async () => {
    await withStore(async ({ repo }) => {
      await seed(repo);
      for (const v of ['b', 'a', 'c']) await repo.create(patient('many', `many-${v}`), { keepId: true });
      const request = (query: string) =>
        parseSearch(testRegistry(), 'Patient', new URLSearchParams(query), {
          defaultCount: 2,
          maxCount: 10,
          baseUrl: TEST_BASE,
        }).request;
      const requests = [
        `identifier=${SYSTEM}|many`,
        `identifier=${SYSTEM}|two`,
        `identifier=${SYSTEM}|none`,
        `identifier=${SYSTEM}|many&_count=2&_offset=1`,
        `identifier=${SYSTEM}|many&_sort=-_id&_count=3`,
        `identifier=${SYSTEM}|one`,
        `identifier=${SYSTEM}|many&_count=0`,
      ].map(request);
      const oneByOne = [];
      for (const r of requests) oneByOne.push((await repo.search(r)).resources);
      const together = await repo.searchMany(requests);
      expect(together).toEqual(oneByOne);
      expect(together.map((page) => page.length)).toEqual([2, 2, 0, 2, 3, 1, 0]);
    });
  });

  it('answers as searching one by one: matches, new ids, placeholders, 412 on several matches', async () => {
    const answers: unknown[][] = [];
    for (const oneByOne of [false, true]) {
      await withStore(async ({ repo, router }) => {
        const seeded = await seed(repo);
        const got: unknown[] = [];
        const observation = {
          fullUrl: `urn:uuid:${randomUUID()}`,
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: '' } },
          request: { method: 'POST', url: 'Observation' },
        };
        const matched = conditional('one');
        const fresh = conditional('fresh');
        observation.resource.subject.reference = matched.fullUrl!;
        const ok = await transaction(router, [fresh, matched, observation, conditional('fresh-2')]);
        got.push(shape(ok, seeded));
        const created = (ok.body as unknown as { entry: BundleEntry[] }).entry;
        // The Observation refers to the Patient found for the matched entry's placeholder.
        expect(created[2]?.resource?.subject).toEqual({ reference: 'Patient/seed-1' });
        got.push(
          shape(await transaction(router, [conditional('fresh'), conditional('two'), conditional('x')]), seeded),
        );
        got.push(
          shape(
            await transaction(router, [
              conditional('one'),
              { ...conditional('y'), request: { method: 'POST', url: 'Patient', ifNoneExist: 'nonsense-param=1' } },
              conditional('two'),
            ]),
            seeded,
          ),
        );
        // A plain create that fails amid others (invalid), another after it: the failing entry's
        // answer, the entries before it ran, the ones after it did not.
        const invalid = { ...conditional('bad'), resource: { ...patient('bad'), birthDate: 'never' } };
        got.push(
          shape(await transaction(router, [conditional('p1'), conditional('p2'), invalid, conditional('p3')]), seeded),
        );
        got.push(
          shape(
            await transaction(router, [
              { ...conditional('q1'), request: { method: 'POST', url: 'Patient' } },
              { ...conditional('q2'), request: { method: 'POST', url: 'Patient' } },
            ]),
            seeded,
          ),
        );
        answers.push(got);
      }, oneByOne);
    }
    if (process.env.SHOW) console.log(JSON.stringify(answers[0]));
    expect(answers[0]).toEqual(answers[1]);
    // Not vacuous: a match, creates, a 412 and a refused condition among them.
    expect(JSON.stringify(answers[0])).toContain('seed-1');
    expect(JSON.stringify(answers[0])).toContain('"status":412');
    expect(JSON.stringify(answers[0])).toContain('"status":"201 Created"');
    expect(JSON.stringify(answers[0])).toContain('"status":400');
  });
});
