import { payloadTooLarge as tooLarge } from '../../core/errors.js';

/**
 * What one batch or transaction may ask for (`fhir.server` of the config file). A batch is
 * answered in one response, so without caps one small request could make the server build an
 * unbounded one (200 × `GET Observation?_count=1000` in 13 KB: a 96 MB answer, +450 MB RSS).
 * - maxBatchEntries (100): a batch is a client's shortcut for several requests; 100 covers the
 *   viewer and AI uses we know (a patient context is ~20 searches), and bounds its cost.
 * - maxTransactionEntries (1000): a transaction is an all-or-nothing load (a whole record, a
 *   study's worth of Observations) that cannot be split without losing atomicity; its entries are
 *   mostly writes whose answers are small.
 * - maxBatchCount (2000): the sum of the page sizes of its searches and histories (each `_count`,
 *   or the default page, capped at maxCount): 100 searches at the default page of 20.
 * Above any of them: 413 with an OperationOutcome (too-costly) before any entry runs.
 */
export interface BatchLimits {
  maxBatchEntries: number;
  maxTransactionEntries: number;
  maxBatchCount: number;
}

export const BATCH_LIMITS_DEFAULTS: BatchLimits = {
  maxBatchEntries: 100,
  maxTransactionEntries: 1000,
  maxBatchCount: 2000,
};

/** The number of entries, checked before they are even parsed. */
export function checkEntryCount(type: 'batch' | 'transaction', entries: number, limits: BatchLimits): void {
  const max = type === 'batch' ? limits.maxBatchEntries : limits.maxTransactionEntries;
  if (entries > max) {
    throw tooLarge(`a ${type} may hold at most ${max} entries (this one has ${entries}); send several`, 'Bundle.entry');
  }
}

/** What the count reads of an entry's request (a FhirRequest, context.ts, which imports BatchLimits from here). */
export interface BatchEntryRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

/** The sum of the pages the searches and histories of the entries would return. */
export function checkBatchCount(
  requests: readonly BatchEntryRequest[],
  page: { defaultCount: number; maxCount: number },
  limits: BatchLimits,
): void {
  let total = 0;
  for (const r of requests) {
    if (r.method !== 'GET' && r.method !== 'HEAD' && !(r.method === 'POST' && r.path.endsWith('/_search'))) continue;
    const parts = r.path.split('/').filter(Boolean);
    const paged = parts.length <= 1 || parts.at(-1) === '_history' || parts.at(-1) === '_search';
    if (!paged) continue;
    const asked = Number.parseInt(r.query.get('_count') ?? '', 10);
    total += Math.min(Number.isFinite(asked) && asked >= 0 ? asked : page.defaultCount, page.maxCount);
  }
  if (total > limits.maxBatchCount) {
    throw tooLarge(
      `the searches of one Bundle may ask for at most ${limits.maxBatchCount} resources in all (_count summed over the entries; this one asks for ${total})`,
      'Bundle.entry',
    );
  }
}
