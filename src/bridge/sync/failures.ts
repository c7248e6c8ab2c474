/**
 * Transient or permanent: a transient failure (network, timeout, 429, 5xx, 408, 412 after
 * re-reads) is retried with backoff for as long as it takes; anything else is parked in the
 * dead-letter list with its reason, for a person to look at and replay.
 */
import { FhirNetworkError, FhirServerError, FhirTimeoutError } from '../../fhir/client/index.js';
import type { Finding } from '../normalize/index.js';

/** Something the sync needs is not there yet (e.g. the ImagingStudy an SR refers to): try again later, with backoff. */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly findings: Finding[] = [],
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

export function isTransient(error: unknown): boolean {
  if (error instanceof RetryLater) return true;
  if (error instanceof FhirNetworkError || error instanceof FhirTimeoutError) return true;
  if (error instanceof FhirServerError)
    return (
      error.status === 408 ||
      error.status === 409 ||
      error.status === 412 ||
      error.status === 429 ||
      error.status >= 500
    );
  return false;
}

/** A reason for the dead-letter list: interaction and status, and the server's issue texts (they name elements, not values). */
export function describeFailure(error: unknown): string {
  if (error instanceof FhirServerError) {
    const details = error.outcome.issue
      .map((i) => i.diagnostics ?? i.details?.text ?? i.code)
      .filter(Boolean)
      .slice(0, 3)
      .join('; ');
    return details ? `${error.message}: ${details}`.slice(0, 1000) : error.message;
  }
  return ((error as Error)?.message ?? String(error)).slice(0, 1000);
}

/** Backoff for the next attempt: doubling from `base`, capped, with equal jitter. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const full = Math.min(maxMs, baseMs * 2 ** Math.min(attempts, 30));
  return Math.round(full / 2 + random() * (full / 2));
}
