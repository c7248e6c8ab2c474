import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_BASE, fhirRepositorySuite, find, testRegistry } from '../repository/test-support.js';
import { fhirSearchSuite } from '../search/test-support.js';
import { SqliteFhirRepository } from './sqlite-repository.js';

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
  it('commits a durable: false transaction without a sync and goes back to synchronous=FULL, also after a failure', async () => {
    const { repo, close } = openTemp();
    const mode = () => repo.db.pragma('synchronous', { simple: true });
    try {
      expect(mode()).toBe(2); // FULL
      let inside: unknown;
      await repo.transaction(
        async (tx) => {
          inside = mode();
          await tx.create({ resourceType: 'Patient', id: 'copy-1' }, { keepId: true });
        },
        { durable: false },
      );
      expect(inside).toBe(1); // NORMAL: no fsync at COMMIT
      expect(mode()).toBe(2);
      await expect(
        repo.transaction(
          async (tx) => {
            await tx.create({ resourceType: 'Patient', id: 'copy-2' }, { keepId: true });
            throw new Error('refused');
          },
          { durable: false },
        ),
      ).rejects.toThrow('refused');
      expect(mode()).toBe(2);
      await repo.transaction(async () => {
        inside = mode();
      });
      expect(inside).toBe(2);
      await repo.flush();
      expect((await repo.read('Patient', 'copy-1')).id).toBe('copy-1');
      await expect(repo.read('Patient', 'copy-2')).rejects.toMatchObject({ status: 404 });
    } finally {
      close();
    }
  });
});
