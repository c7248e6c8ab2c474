import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteFhirRepository } from '../sqlite/sqlite-repository.js';
import { ObservedRepository, type WriteEvent } from './observed-repository.js';
import { fhirRepositorySuite, TEST_BASE, testRegistry } from './test-support.js';

function openObserved() {
  const dir = mkdtempSync(join(tmpdir(), 'ib-observed-'));
  const sqlite = new SqliteFhirRepository(join(dir, 'fhir.sqlite'), { registry: testRegistry(), baseUrl: TEST_BASE });
  const repo = new ObservedRepository(sqlite);
  const events: WriteEvent[][] = [];
  repo.onWrite((e) => events.push(e));
  return {
    repo,
    events,
    close: () => {
      sqlite.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The write-observing wrapper must still be a correct repository.
fhirRepositorySuite('observed SQLite', openObserved);

describe('ObservedRepository', () => {
  it('tells listeners of each committed write, and of a transaction only once it committed', async () => {
    const t = openObserved();
    try {
      const p = await t.repo.create({ resourceType: 'Patient' });
      await t.repo.update({ ...p, active: true });
      await t.repo.delete('Patient', p.id!);
      expect(t.events.map((e) => e.map((x) => x.kind))).toEqual([['create'], ['update'], ['delete']]);
      await expect(
        t.repo.transaction(async (tx) => {
          await tx.create({ resourceType: 'Patient' });
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect(t.events).toHaveLength(3);
      await t.repo.transaction(async (tx) => {
        await tx.create({ resourceType: 'Patient' });
        await tx.create({ resourceType: 'Observation', status: 'final', code: { text: 'x' } });
      });
      expect(t.events[3].map((e) => e.resourceType)).toEqual(['Patient', 'Observation']);
    } finally {
      t.close();
    }
  });

  it('tells listeners of each resource createMany made (not of a taken id), in a transaction once it committed', async () => {
    const t = openObserved();
    try {
      await t.repo.create({ resourceType: 'Patient', id: 'o-taken' }, { keepId: true });
      await t.repo.createMany!([
        { resourceType: 'Patient', id: 'o-1' },
        { resourceType: 'Patient', id: 'o-taken' },
      ]);
      expect(t.events.map((e) => e.map((x) => `${x.kind} ${x.resourceType}/${x.id}`))).toEqual([
        ['create Patient/o-taken'],
        ['create Patient/o-1'],
      ]);
      await t.repo.transaction(async (tx) => {
        await tx.createMany!([{ resourceType: 'Patient', id: 'o-2' }]);
        expect(t.events).toHaveLength(2);
      });
      expect(t.events[2]!.map((x) => x.id)).toEqual(['o-2']);
    } finally {
      t.close();
    }
  });

  it('keeps the write when a listener throws', async () => {
    const t = openObserved();
    try {
      t.repo.onWrite(() => {
        throw new Error('listener bug');
      });
      const p = await t.repo.create({ resourceType: 'Patient' });
      expect((await t.repo.read('Patient', p.id!)).id).toBe(p.id);
    } finally {
      t.close();
    }
  });
});
