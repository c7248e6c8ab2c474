import { describe, expect, it } from 'vitest';
import { type Drift, parseReconcileSchedule, ReconcileScheduler } from './schedule.js';

describe('the reconcile schedule', () => {
  it('reads the section with defaults and refuses unknown keys and bad values', () => {
    expect(parseReconcileSchedule(undefined)).toBeUndefined();
    expect(parseReconcileSchedule({})).toEqual({
      intervalMinutes: 60,
      firstDelaySeconds: 60,
      since: '30d',
      apply: false,
    });
    expect(parseReconcileSchedule({ intervalMinutes: 15, firstDelaySeconds: 0, since: '7d', apply: true })).toEqual({
      intervalMinutes: 15,
      firstDelaySeconds: 0,
      since: '7d',
      apply: true,
    });
    expect(() => parseReconcileSchedule({ intervalMinutes: 0 })).toThrow(/reconcile.intervalMinutes/);
    expect(() => parseReconcileSchedule({ firstDelaySeconds: -1 })).toThrow(/reconcile.firstDelaySeconds/);
    expect(() => parseReconcileSchedule({ firstDelaySeconds: 1.5 })).toThrow(/reconcile.firstDelaySeconds/);
    expect(() => parseReconcileSchedule({ since: 'always' })).toThrow(/reconcile.since/);
    expect(() => parseReconcileSchedule({ every: 1 })).toThrow(/reconcile.every" is not known/);
  });

  it('records the drift, applies only with apply, and records a failure instead of throwing', async () => {
    const recorded: Drift[] = [];
    const applied: number[] = [];
    const counts = { pacsStudies: 3, matched: 1, missingInFhir: 2, mismatched: 0, notInPacs: 1 };
    const bring = [{ kind: 'queue-sync' as const, studyUid: '1', reason: 'missing' as const }];
    const clock = () => new Date('2026-12-06T10:00:00Z');
    const make = (apply: boolean, fail = false) =>
      new ReconcileScheduler({
        schedule: { intervalMinutes: 60, firstDelaySeconds: 60, since: '30d', apply },
        compare: async () => {
          if (fail) throw new Error('PACS down');
          return { counts, bring };
        },
        apply: async (a) => {
          applied.push(a.length);
          return a.length;
        },
        record: (d) => recorded.push(d),
        clock,
      });
    await make(false).runOnce();
    await make(true).runOnce();
    await make(true, true).runOnce();
    expect(recorded).toEqual([
      { checkedAt: '2026-12-06T10:00:00.000Z', ...counts },
      { checkedAt: '2026-12-06T10:00:00.000Z', ...counts, queued: 1 },
      { checkedAt: '2026-12-06T10:00:00.000Z', error: 'PACS down' },
    ]);
    expect(applied).toEqual([1]);
  });

  it('runs first firstDelaySeconds after start, then waits the interval', async () => {
    const recorded: Drift[] = [];
    const scheduler = new ReconcileScheduler({
      schedule: { intervalMinutes: 60, firstDelaySeconds: 0, since: '30d', apply: false },
      compare: async () => ({ counts: { pacsStudies: 1 }, bring: [] }),
      apply: async () => 0,
      record: (d) => recorded.push(d),
    });
    scheduler.start();
    try {
      const deadline = Date.now() + 5_000;
      while (recorded.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(recorded).toEqual([{ checkedAt: expect.any(String), pacsStudies: 1 }]);
    } finally {
      await scheduler.close();
    }
  });
});
