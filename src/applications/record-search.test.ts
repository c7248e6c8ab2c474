import { afterEach, describe, expect, it, vi } from 'vitest';
import { allowAll } from '../context/index.js';
import type { FhirReader } from '../fhir/client/index.js';
import type { Bundle } from '../fhir/types.js';
import { type Query, runSearch, startDeadline } from './record-search.js';

const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', entry: [] };

function query(search: () => Promise<Bundle>): Query {
  const client = { baseUrl: 'x', search, read: () => Promise.reject(new Error('unused')) } as unknown as FhirReader;
  return { section: 's', server: { name: 'embedded', client }, type: 'Observation', params: [['patient', 'p']] };
}

describe('runSearch deadlines', () => {
  afterEach(() => vi.useRealTimers());

  it('a batch of settled (cached) answers arms no timer; a pending one arms the one shared timer', async () => {
    vi.useFakeTimers();
    const deadline = startDeadline(1000);
    const cached = Promise.resolve(bundle);
    const settled = await Promise.all(
      [1, 2, 3].map(() =>
        runSearch(
          query(() => cached),
          allowAll,
          deadline,
          Date.now,
        ),
      ),
    );
    expect(settled.map((r) => r.record.status)).toEqual(['ok', 'ok', 'ok']);
    expect(vi.getTimerCount()).toBe(0);
    const never = () => new Promise<Bundle>(() => undefined);
    const pending = [1, 2].map(() => runSearch(query(never), allowAll, deadline, Date.now));
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    const timedOut = await Promise.all(pending);
    expect(timedOut.map((r) => [r.record.status, r.record.error])).toEqual([
      ['timeout', 'no answer within 1000 ms'],
      ['timeout', 'no answer within 1000 ms'],
    ]);
    deadline.clear();
  });

  it('a number still gives the search a timer of its own, cleared after the answer', async () => {
    vi.useFakeTimers();
    let answer: (b: Bundle) => void = () => undefined;
    const r = runSearch(
      query(() => new Promise((resolve) => (answer = resolve))),
      allowAll,
      500,
      Date.now,
    );
    await vi.advanceTimersByTimeAsync(10);
    expect(vi.getTimerCount()).toBe(1);
    answer(bundle);
    expect((await r).record.status).toBe('ok');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a failed search is its source record, not a throw', async () => {
    const r = await runSearch(
      query(() => Promise.reject(new Error('boom'))),
      allowAll,
      startDeadline(1000),
      Date.now,
    );
    expect(r.record).toMatchObject({ status: 'error', error: 'internal error' });
  });
});
