import { describe, expect, it } from 'vitest';
import { allowAll, type AccessPolicy } from '../../context/index.js';
import { VisibleRows } from './visible-rows.js';

const policy = (cacheKey: string | undefined, patient: string): AccessPolicy => ({
  ...allowAll,
  description: `patient ${patient}`,
  ...(cacheKey === undefined ? {} : { cacheKey }),
  canSeePatient: (id) => id === patient,
});
const rows = [{ p: 'a' }, { p: 'b' }, { p: 'a' }];

describe('VisibleRows', () => {
  it('filters once per policy key and generation, again when the generation moves', () => {
    const kept = new VisibleRows<{ p: string }>();
    let calls = 0;
    const seen = (pol: AccessPolicy) => (r: { p: string }) => {
      calls++;
      return pol.canSeePatient(r.p);
    };
    const a = policy('key-a', 'a');
    const first = kept.of('unread', 1, rows, a, seen(a));
    expect(first).toEqual([{ p: 'a' }, { p: 'a' }]);
    expect(kept.of('unread', 1, rows, a, seen(a))).toBe(first);
    expect(calls).toBe(3);
    const moved = [...rows, { p: 'a' }];
    expect(kept.of('unread', 2, moved, a, seen(a))).toHaveLength(3);
    expect(calls).toBe(7);
  });

  it('never shares an answer between different keys, lists, or policies without a key', () => {
    const kept = new VisibleRows<{ p: string }>();
    const a = policy('key-a', 'a');
    const b = policy('key-b', 'b');
    expect(kept.of('unread', 1, rows, a, (r) => a.canSeePatient(r.p))).toHaveLength(2);
    expect(kept.of('unread', 1, rows, b, (r) => b.canSeePatient(r.p))).toEqual([{ p: 'b' }]);
    expect(kept.of('all', 1, [{ p: 'a' }], a, (r) => a.canSeePatient(r.p))).toHaveLength(1);
    const unkeyed = policy(undefined, 'b');
    let calls = 0;
    const counted = () => {
      calls++;
      return true;
    };
    kept.of('unread', 1, rows, unkeyed, counted);
    kept.of('unread', 1, rows, unkeyed, counted);
    expect(calls).toBe(6);
  });
});
