import { beforeEach, afterEach, describe, expect, it } from 'vitest';
import { SearchParamRegistry } from '../definitions/search-params.js';
import { OperationOutcomeError } from '../../core/errors.js';
import { parseSearch } from '../search/parse-search.js';
import type { FhirResource } from '../types.js';
import type { FhirRepository } from './repository.js';

export const TEST_BASE = 'http://ib.test/fhir';

export interface OpenedRepository {
  repo: FhirRepository;
  close(): Promise<void> | void;
}

let registry: SearchParamRegistry | undefined;
export function testRegistry(): SearchParamRegistry {
  return (registry ??= new SearchParamRegistry());
}

export async function statusOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 200;
  } catch (e) {
    if (e instanceof OperationOutcomeError) return e.status;
    throw e;
  }
}

/** Search with a query string, as a client would send it. */
export async function find(repo: FhirRepository, type: string, query: string): Promise<FhirResource[]> {
  const { request } = parseSearch(testRegistry(), type, new URLSearchParams(query), {
    defaultCount: 100,
    maxCount: 1000,
    baseUrl: TEST_BASE,
  });
  return (await repo.search(request)).resources;
}

/** `skip`: why this implementation cannot run here (no server); the suite is reported skipped with it. */
export interface SuiteOptions {
  skip?: string;
}

export const skipped = (options: SuiteOptions) => (options.skip === undefined ? '' : ` (skipped: ${options.skip})`);

export const ids = (resources: FhirResource[]) => resources.map((r) => r.id).sort();

/** The behaviour every FhirRepository implementation must have (SQLite, PostgreSQL). */
export function fhirRepositorySuite(
  name: string,
  open: () => Promise<OpenedRepository> | OpenedRepository,
  options: SuiteOptions = {},
): void {
  describe.skipIf(options.skip !== undefined)(`FhirRepository contract: ${name}${skipped(options)}`, () => {
    let opened: OpenedRepository;
    let repo: FhirRepository;
    beforeEach(async () => {
      opened = await open();
      repo = opened.repo;
    });
    afterEach(async () => {
      await opened.close();
    });

    it('assigns an id, version 1 and lastUpdated on create, and reads it back', async () => {
      const created = await repo.create({
        resourceType: 'Patient',
        id: 'ignored',
        meta: { versionId: '9' },
        gender: 'female',
      });
      expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(created.meta?.versionId).toBe('1');
      expect(Date.parse(created.meta!.lastUpdated!)).toBeGreaterThan(0);
      expect(await repo.read('Patient', created.id!)).toEqual(created);
    });

    it('keeps every version: update increments versionId and vread returns older ones', async () => {
      const v1 = await repo.create({ resourceType: 'Patient', gender: 'female' });
      const { resource: v2, created } = await repo.update({ ...v1, gender: 'male' });
      expect(created).toBe(false);
      expect(v2.meta?.versionId).toBe('2');
      expect((await repo.vread('Patient', v1.id!, '1')).gender).toBe('female');
      expect((await repo.read('Patient', v1.id!)).gender).toBe('male');
      expect(await statusOf(repo.vread('Patient', v1.id!, '7'))).toBe(404);
      const history = await repo.history({ resourceType: 'Patient', id: v1.id }, { count: 10, offset: 0 });
      expect(history.total).toBe(2);
      expect(history.entries.map((e) => [e.versionId, e.method])).toEqual([
        ['2', 'PUT'],
        ['1', 'POST'],
      ]);
    });

    it('refuses an update whose If-Match version is stale with 412', async () => {
      const v1 = await repo.create({ resourceType: 'Patient', active: true });
      await repo.update({ ...v1, active: false }, { ifMatch: '1' });
      expect(await statusOf(repo.update({ ...v1, active: true }, { ifMatch: '1' }))).toBe(412);
      expect(await statusOf(repo.delete('Patient', v1.id!, { ifMatch: '1' }))).toBe(412);
      expect((await repo.read('Patient', v1.id!)).meta?.versionId).toBe('2');
    });

    it('keeps the current version when an update changes nothing', async () => {
      const v1 = await repo.create({ resourceType: 'Patient', active: true });
      const { resource } = await repo.update({ resourceType: 'Patient', id: v1.id, active: true });
      expect(resource.meta?.versionId).toBe('1');
    });

    it('creates on update when the id is new, and refuses a taken id on create with keepId', async () => {
      const { resource, created } = await repo.update({ resourceType: 'Patient', id: 'p-new', active: true });
      expect(created).toBe(true);
      expect(resource.meta?.versionId).toBe('1');
      expect(await statusOf(repo.create({ resourceType: 'Patient', id: 'p-new' }, { keepId: true }))).toBe(409);
      expect(await statusOf(repo.update({ resourceType: 'Patient', id: 'bad id!' }))).toBe(400);
    });

    it('creates many under their own ids at once, searchable and with history; a taken id (or a repeat) is skipped', async () => {
      expect(repo.createMany).toBeDefined();
      await repo.create({ resourceType: 'Patient', id: 'm-taken', gender: 'male' }, { keepId: true });
      const made = await repo.createMany!([
        { resourceType: 'Patient', id: 'm-1', gender: 'female', identifier: [{ system: 'urn:s', value: 'v1' }] },
        { resourceType: 'Patient', id: 'm-taken', gender: 'other' },
        { resourceType: 'Observation', id: 'm-1', status: 'final', code: { text: 'x' } },
        { resourceType: 'Patient', id: 'm-1', gender: 'unknown' },
        { resourceType: 'Patient', id: 'm-2', gender: 'female', name: [{ family: 'Manyfold' }] },
      ]);
      expect(made.map((r) => r?.meta?.versionId)).toEqual(['1', undefined, '1', undefined, '1']);
      expect(made[0]).toMatchObject({ resourceType: 'Patient', id: 'm-1', gender: 'female' });
      expect((await repo.read('Patient', 'm-taken')).gender).toBe('male');
      expect((await repo.read('Patient', 'm-1')).gender).toBe('female');
      expect((await repo.read('Observation', 'm-1')).status).toBe('final');
      // Indexed as create indexes: token, string.
      expect(ids(await find(repo, 'Patient', 'gender=female'))).toEqual(['m-1', 'm-2']);
      expect(ids(await find(repo, 'Patient', 'identifier=urn:s|v1'))).toEqual(['m-1']);
      expect(ids(await find(repo, 'Patient', 'name=manyf'))).toEqual(['m-2']);
      expect(ids(await find(repo, 'Patient', 'gender=other'))).toEqual([]);
      const history = await repo.history({ resourceType: 'Patient', id: 'm-2' }, { count: 10, offset: 0 });
      expect(history.entries.map((e) => [e.versionId, e.method])).toEqual([['1', 'POST']]);
      expect(await repo.createMany!([])).toEqual([]);
      // In a transaction: rolled back with it.
      await expect(
        repo.transaction(async (tx) => {
          expect(await tx.createMany!([{ resourceType: 'Patient', id: 'm-3' }])).toHaveLength(1);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(await statusOf(repo.read('Patient', 'm-3'))).toBe(404);
      expect(await statusOf(repo.createMany!([{ resourceType: 'Patient', id: 'bad id!' }]))).toBe(400);
    });

    it('answers 404 for unknown and 410 for deleted resources; deleting again succeeds', async () => {
      expect(await statusOf(repo.read('Patient', 'nope'))).toBe(404);
      const p = await repo.create({ resourceType: 'Patient' });
      await repo.delete('Patient', p.id!);
      expect(await statusOf(repo.read('Patient', p.id!))).toBe(410);
      expect(await statusOf(repo.vread('Patient', p.id!, '2'))).toBe(410);
      expect((await repo.vread('Patient', p.id!, '1')).id).toBe(p.id);
      await repo.delete('Patient', p.id!);
      await repo.delete('Patient', 'never-existed');
      const history = await repo.history({ resourceType: 'Patient', id: p.id }, { count: 10, offset: 0 });
      expect(history.entries.map((e) => e.method)).toEqual(['DELETE', 'POST']);
      expect(history.entries[0].resource).toBeUndefined();
      const { resource, created } = await repo.update({ resourceType: 'Patient', id: p.id, active: true });
      expect(created).toBe(true);
      expect(resource.meta?.versionId).toBe('3');
    });

    it('lists type and system history newest first, with _since and paging', async () => {
      const a = await repo.create({ resourceType: 'Patient' });
      await new Promise((r) => setTimeout(r, 5));
      const b = await repo.create({ resourceType: 'Patient' });
      await repo.create({ resourceType: 'Organization', name: 'X' });
      const type = await repo.history({ resourceType: 'Patient' }, { count: 1, offset: 0 });
      expect(type.total).toBe(2);
      expect(type.entries.map((e) => e.id)).toEqual([b.id]);
      const since = await repo.history(
        { resourceType: 'Patient' },
        { count: 10, offset: 0, since: Date.parse(b.meta!.lastUpdated!) },
      );
      expect(since.entries.map((e) => e.id)).toEqual([b.id]);
      expect((await repo.history({}, { count: 10, offset: 0 })).total).toBe(3);
      expect(a.id).not.toBe(b.id);
    });

    it('commits a transaction all together, or nothing when it fails', async () => {
      await expect(
        repo.transaction(async (tx) => {
          const p = await tx.create({ resourceType: 'Patient', gender: 'other' });
          expect((await tx.read('Patient', p.id!)).gender).toBe('other');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(await find(repo, 'Patient', 'gender=other')).toHaveLength(0);
      const made = await repo.transaction(async (tx) => [
        await tx.create({ resourceType: 'Patient', gender: 'other' }),
        await tx.create({ resourceType: 'Patient', gender: 'other' }),
      ]);
      expect(ids(await find(repo, 'Patient', 'gender=other'))).toEqual(ids(made));
    });

    it('does not let writes from outside slip into a transaction that is rolled back', async () => {
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const tx = repo.transaction(async (t) => {
        await t.create({ resourceType: 'Patient', gender: 'unknown' });
        await gate;
        throw new Error('abort');
      });
      const outside = repo.create({ resourceType: 'Patient', gender: 'unknown' });
      release();
      await expect(tx).rejects.toThrow('abort');
      await outside;
      expect(await find(repo, 'Patient', 'gender=unknown')).toHaveLength(1);
    });
  });
}
