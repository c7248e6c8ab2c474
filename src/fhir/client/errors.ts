import type { OperationOutcome } from '../types.js';

/**
 * Errors of the FHIR client, the same for the in-process and the HTTP implementation. Messages
 * name the interaction (`read Patient`), never ids or search values: they may hold PHI.
 */
export class FhirClientError extends Error {
  constructor(
    message: string,
    /** e.g. `search Observation`. */
    readonly interaction: string,
    /** How many times the request was sent (retries included). */
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'FhirClientError';
  }
}

/** The server answered with an error status; `outcome` is its OperationOutcome (or one made from the status). */
export class FhirServerError extends FhirClientError {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    interaction: string,
    attempts: number,
  ) {
    // Issue codes only: the server's diagnostics may repeat ids or values (they stay in `outcome`).
    const codes = [...new Set(outcome.issue.map((i) => i.code))].join(', ');
    super(`${interaction}: HTTP ${status}${codes ? ` (${codes})` : ''}`, interaction, attempts);
    this.name = 'FhirServerError';
  }
}

/** No answer within the per-request timeout (after the last attempt). */
export class FhirTimeoutError extends FhirClientError {
  constructor(interaction: string, attempts: number, timeoutMs: number) {
    super(`${interaction}: no answer within ${timeoutMs} ms`, interaction, attempts);
    this.name = 'FhirTimeoutError';
  }
}

/** The connection failed (refused, reset, DNS) on the last attempt. */
export class FhirNetworkError extends FhirClientError {
  constructor(interaction: string, attempts: number, cause: unknown) {
    super(`${interaction}: ${networkReason(cause)}`, interaction, attempts, { cause });
    this.name = 'FhirNetworkError';
  }
}

/** The answer was not what the interaction needs (not JSON, wrong resource type, a `next` link to another server). */
export class FhirProtocolError extends FhirClientError {
  constructor(interaction: string, reason: string, attempts = 1) {
    super(`${interaction}: ${reason}`, interaction, attempts);
    this.name = 'FhirProtocolError';
  }
}

/** The status of a FhirServerError, else undefined: `statusOf(e) === 412`. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof FhirServerError ? error.status : undefined;
}

function networkReason(cause: unknown): string {
  const code =
    (cause as { cause?: { code?: string }; code?: string })?.cause?.code ?? (cause as { code?: string })?.code;
  return code ? `connection failed (${code})` : 'connection failed';
}

/** An OperationOutcome standing in for an error answer that did not carry one. */
export function outcomeOfStatus(status: number, statusText = ''): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      {
        severity: 'error',
        code: status === 429 ? 'throttled' : 'exception',
        diagnostics: `HTTP ${status}${statusText ? ` ${statusText}` : ''}`,
      },
    ],
  };
}

/** No access token could be obtained from the server's token endpoint (SMART backend services). */
export class FhirAuthError extends FhirClientError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`token request: ${reason}`, 'token', 1, options);
    this.name = 'FhirAuthError';
  }
}
