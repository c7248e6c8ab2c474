import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_BASE, fhirRepositorySuite, find, ids, testRegistry } from '../repository/test-support.js';
import { fhirSearchSuite } from '../search/test-support.js';
import { parseSearch } from '../search/parse-search.js';
import { SqliteFhirRepository } from './sqlite-repository.js';
import { conditionSql } from './search-sql.js';

function openTemp() {
  const dir = mkdtempSync(join(tmpdir(), 'ib-fhir-'));
  const repo = new SqliteFhirRepository(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
  return {
    repo,
    close: () => {
      repo.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

fhirRepositorySuite('SQLite', openTemp);
fhirSearchSuite('SQLite', openTemp);

describe('SQLite FHIR repository', () => {
  it('keeps resources and their search index across a reopen of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-fhir-'));
    const path = join(dir, 'fhir.sqlite');
    try {
      const first = new SqliteFhirRepository(path, { registry: testRegistry(), baseUrl: TEST_BASE });
      const p = await first.create({ resourceType: 'Patient', name: [{ family: 'Durable' }] });
      first.close();
      const second = new SqliteFhirRepository(path, { registry: testRegistry(), baseUrl: TEST_BASE });
      expect((await second.read('Patient', p.id!)).name).toEqual([{ family: 'Durable' }]);
      expect(await find(second, 'Patient', 'family=dur')).toHaveLength(1);
      expect(second.db.pragma('journal_mode', { simple: true })).toBe('wal');
      second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('seeks the (param, code) index for a list of token values (EXPLAIN QUERY PLAN of the condition)', async () => {
    const { repo, close } = openTemp();
    try {
      const mrn = 'urn:oid:1.2.3.4';
      for (let i = 0; i < 20; i++)
        await repo.create({ resourceType: 'Patient', identifier: [{ system: mrn, value: `M${i}` }] });
      const paramId = (type: string, code: string) =>
        repo.db.prepare('SELECT id FROM params WHERE type = ? AND code = ?').pluck().get(type, code) as number;
      const plan = (query: string) => {
        const { request } = parseSearch(testRegistry(), 'Patient', new URLSearchParams(query), {
          defaultCount: 100,
          maxCount: 1000,
          baseUrl: TEST_BASE,
        });
        const c = conditionSql(request.conditions[0], 'r', 'Patient', paramId, Date.now());
        return (
          repo.db
            .prepare(
              `EXPLAIN QUERY PLAN SELECT r.pk FROM resources r WHERE +r.type = ? AND r.deleted = 0 AND (${c.sql})`,
            )
            .all('Patient', ...c.args) as { detail: string }[]
        )
          .map((r) => r.detail)
          .join('\n');
      };
      // Before session 21 an OR of (code, system) pairs walked every identifier row: `(param=?)` only.
      for (const list of [`${mrn}|M1,${mrn}|M2`, `${mrn}|M1,${mrn}|M2,${mrn}|M3,M4`, '|M1,|M2'])
        expect(plan(`identifier=${encodeURIComponent(list)}`), list).toMatch(
          /sp_token_value_pk \(param=\? AND code=\?/,
        );
      expect(ids(await find(repo, 'Patient', `identifier=${mrn}|M1,${mrn}|M2,M3,|M4`))).toHaveLength(3);
    } finally {
      close();
    }
  });

  it('stores no AuditEvent patient rows (agent and entity hold them) and still finds rows older versions stored', async () => {
    const { repo, close } = openTemp();
    try {
      const event = await repo.create({
        resourceType: 'AuditEvent',
        type: { code: '110110' },
        recorded: '2024-05-03T10:00:00Z',
        agent: [{ requestor: true, who: { reference: 'Practitioner/p1' } }],
        source: { observer: { display: 'test' } },
        entity: [{ what: { reference: 'Patient/a' } }, { what: { reference: 'Patient/b' } }],
      });
      const rows = () =>
        repo.db
          .prepare(
            `SELECT p.code, s.url FROM sp_reference s JOIN params p ON p.id = s.param
             JOIN resources r ON r.pk = s.resource_pk WHERE r.id = ? ORDER BY p.code, s.url`,
          )
          .all(event.id) as { code: string; url: string }[];
      expect(rows()).toEqual([
        { code: 'agent', url: 'Practitioner/p1' },
        { code: 'entity', url: 'Patient/a' },
        { code: 'entity', url: 'Patient/b' },
      ]);
      // A database written before: the patient rows of its own (here the only ones for Patient/c).
      const pk = repo.db.prepare('SELECT pk FROM resources WHERE id = ?').pluck().get(event.id);
      repo.db.prepare("INSERT INTO params(type, code) VALUES ('AuditEvent', 'patient') ON CONFLICT DO NOTHING").run();
      const param = repo.db
        .prepare("SELECT id FROM params WHERE type = 'AuditEvent' AND code = 'patient'")
        .pluck()
        .get();
      repo.db
        .prepare(
          "INSERT INTO sp_reference(resource_pk, param, target_type, target_id, url) VALUES (?, ?, 'Patient', 'c', 'Patient/c')",
        )
        .run(pk, param);
      expect(ids(await find(repo, 'AuditEvent', 'patient=Patient/c'))).toEqual([event.id]);
      expect(ids(await find(repo, 'AuditEvent', 'patient=Patient/a'))).toEqual([event.id]);
    } finally {
      close();
    }
  });

  it('answers a token search from the (param, code) index, not by scanning resources', () => {
    const { repo, close } = openTemp();
    try {
      const plan = repo.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT r.pk FROM resources r WHERE +r.type = 'Observation' AND r.deleted = 0
           AND r.pk IN (SELECT resource_pk FROM sp_token WHERE param = 1 AND (code = 'x'))`,
        )
        .all() as { detail: string }[];
      const details = plan.map((p) => p.detail).join('\n');
      expect(details).toMatch(/sp_token USING (COVERING )?INDEX sp_token_value/);
      expect(details).not.toMatch(/SCAN r\b/);
    } finally {
      close();
    }
  });
  it('acknowledges a write after a WAL sync that began after its commit, shared by concurrent writes; durable: false does not wait', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ib-fhir-'));
    const events: string[] = [];
    class Counting extends SqliteFhirRepository {
      protected override async syncWal(): Promise<void> {
        events.push('sync-start');
        await super.syncWal();
        events.push('sync-end');
      }
    }
    const repo = new Counting(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
    try {
      expect(repo.db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL: COMMIT itself does not sync
      await repo.create({ resourceType: 'Patient', id: 'p-0' }, { keepId: true }).then(() => events.push('ack p-0'));
      expect(events).toEqual(['sync-start', 'sync-end', 'ack p-0']);
      events.length = 0;
      // Ten concurrent writes: each acknowledged after a sync that ended after its commit; far fewer syncs than writes.
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          repo
            .create({ resourceType: 'Patient', id: `p-${i + 1}` }, { keepId: true })
            .then(() => events.push(`ack p-${i + 1}`)),
        ),
      );
      const syncs = events.filter((e) => e === 'sync-start').length;
      expect(syncs).toBeGreaterThanOrEqual(1);
      expect(syncs).toBeLessThanOrEqual(3);
      expect(events.at(-1)).toMatch(/^ack/);
      expect(events.indexOf('sync-end')).toBeLessThan(events.findIndex((e) => e.startsWith('ack')));
      events.length = 0;
      await repo.transaction(
        async (tx) => void (await tx.create({ resourceType: 'Patient', id: 'copy-1' }, { keepId: true })),
        { durable: false },
      );
      expect(events).toEqual([]);
      await expect(
        repo.transaction(async (tx) => {
          await tx.create({ resourceType: 'Patient', id: 'copy-2' }, { keepId: true });
          throw new Error('refused');
        }),
      ).rejects.toThrow('refused');
      await repo.flush();
      expect(events).toEqual(['sync-start', 'sync-end']);
      expect((await repo.read('Patient', 'copy-1')).id).toBe('copy-1');
      await expect(repo.read('Patient', 'copy-2')).rejects.toMatchObject({ status: 404 });
    } finally {
      repo.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
