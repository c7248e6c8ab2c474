import { describe, expect, it } from 'vitest';
import type { OperationOutcomeError } from '../../core/errors.js';
import { BATCH_LIMITS_DEFAULTS, checkBatchCount, checkEntryCount } from './batch-limits.js';
import type { FhirRequest } from './context.js';

const get = (url: string): FhirRequest => {
  const [path, q = ''] = url.split('?');
  return { method: 'GET', path, query: new URLSearchParams(q), headers: {} };
};
const page = { defaultCount: 20, maxCount: 1000 };
const status = (fn: () => void) => {
  try {
    fn();
    return 200;
  } catch (e) {
    return (e as OperationOutcomeError).status;
  }
};

describe('batch limits', () => {
  it('caps entries: 100 per batch, 1000 per transaction', () => {
    expect(status(() => checkEntryCount('batch', 100, BATCH_LIMITS_DEFAULTS))).toBe(200);
    expect(status(() => checkEntryCount('batch', 101, BATCH_LIMITS_DEFAULTS))).toBe(413);
    expect(status(() => checkEntryCount('transaction', 1000, BATCH_LIMITS_DEFAULTS))).toBe(200);
    expect(status(() => checkEntryCount('transaction', 1001, BATCH_LIMITS_DEFAULTS))).toBe(413);
  });

  it('sums the pages of searches and histories (default page when no _count, capped at maxCount); reads do not count', () => {
    const searches = (n: number, url: string) => Array.from({ length: n }, () => get(url));
    expect(status(() => checkBatchCount(searches(100, 'Observation'), page, BATCH_LIMITS_DEFAULTS))).toBe(200);
    expect(
      status(() =>
        checkBatchCount([...searches(100, 'Observation'), get('Patient/_history')], page, BATCH_LIMITS_DEFAULTS),
      ),
    ).toBe(413);
    expect(status(() => checkBatchCount(searches(2, 'Observation?_count=1000'), page, BATCH_LIMITS_DEFAULTS))).toBe(
      200,
    );
    expect(status(() => checkBatchCount(searches(3, 'Observation?_count=99999'), page, BATCH_LIMITS_DEFAULTS))).toBe(
      413,
    );
    expect(status(() => checkBatchCount(searches(1000, 'Patient/1'), page, BATCH_LIMITS_DEFAULTS))).toBe(200);
  });
});
