import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ObservedRepository, type WriteEvent } from '../src/fhir/repository/observed-repository.js';
import { TEST_BASE, fhirRepositorySuite, testRegistry } from '../src/fhir/repository/test-support.js';
import { SqliteFhirRepository } from '../src/fhir/sqlite/sqlite-repository.js';
import { allowedEndpoint, parseNotificationsConfig } from '../src/notifications/config.js';
import { parseCriteria } from '../src/notifications/criteria.js';
import { deliverRestHook } from '../src/notifications/rest-hook.js';

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

describe('rest-hook allow-list', () => {
  const list = parseNotificationsConfig({
    restHookAllowList: ['https://ai.example/hooks/', 'http://127.0.0.1:9000/cb'],
  }).restHookAllowList;
  it.each([
    ['https://ai.example/hooks/study', true],
    ['https://ai.example/hooks/', true],
    ['http://127.0.0.1:9000/cb', true],
    ['http://127.0.0.1:9000/cb/x', true],
    ['http://127.0.0.1:9000/cbx', false],
    ['https://ai.example/hooksx', false],
    ['https://ai.example.evil.test/hooks/x', false],
    ['http://ai.example/hooks/x', false],
    ['https://ai.example:444/hooks/x', false],
    ['https://user:pw@ai.example/hooks/x', false],
    // The URL is normalized before comparing: `..` cannot climb out of the allowed path.
    ['https://ai.example/hooks/../admin', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(allowedEndpoint(url, list)).toBe(allowed);
  });

  it('fails fast on a bad config with the key in the message', () => {
    expect(() => parseNotificationsConfig({ restHookAllowList: ['ftp://x'] })).toThrow(/restHookAllowList\[0\]/);
    expect(() => parseNotificationsConfig({ retries: -1 })).toThrow(/notifications.retries/);
    expect(() => parseNotificationsConfig({ colour: 1 })).toThrow(/notifications.colour/);
  });
});

describe('Subscription criteria', () => {
  it('parses type and parameters, and refuses what cannot be a Subscription', () => {
    expect(parseCriteria('ImagingStudy?modality=CT&status=available')).toEqual({
      resourceType: 'ImagingStudy',
      params: [
        ['modality', 'CT'],
        ['status', 'available'],
      ],
    });
    expect(parseCriteria('DiagnosticReport')).toEqual({ resourceType: 'DiagnosticReport', params: [] });
    expect(parseCriteria('')).toMatch(/required/);
    expect(parseCriteria('Subscription?status=active')).toMatch(/not supported/);
    expect(parseCriteria('ImagingStudy?_id=1')).toMatch(/_id/);
  });
});

describe('rest-hook delivery', () => {
  it('retries with exponential backoff capped at the maximum, then reports the last failure', async () => {
    const waits: number[] = [];
    const result = await deliverRestHook({ endpoint: 'http://h.test/x', headers: [] }, undefined, {
      retries: 4,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 300,
      timeoutMs: 1000,
      fetch: async () => new Response(null, { status: 503 }),
      sleep: async (ms) => void waits.push(ms),
    });
    expect(result).toEqual({ ok: false, attempts: 5, error: 'HTTP 503' });
    expect(waits).toEqual([100, 200, 300, 300]);
  });
});
