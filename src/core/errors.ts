/**
 * Errors raised by services. Each protocol edge converts them in one place: HTTP → status +
 * OperationOutcome (src/http/errors.ts; the FHIR router answers its own, it has no transport),
 * DICOMweb STOW → FailureReason, DIMSE → status (src/dimse/status.ts).
 */

/**
 * An OperationOutcome issue (FHIR R4) as far as errors build and read it. Structural, so the
 * outcomes of the FHIR module and of @medplum/fhirtypes both fit.
 */
export interface OperationOutcomeIssue {
  severity: 'fatal' | 'error' | 'warning' | 'information';
  /** http://hl7.org/fhir/issue-type, e.g. `invalid`, `not-found`, `exception`. */
  code: string;
  diagnostics?: string;
  details?: { text?: string };
  expression?: string[];
}

// A type alias, not an interface: it then fits wherever any FHIR resource is expected.
export type OperationOutcome = { resourceType: 'OperationOutcome'; issue: OperationOutcomeIssue[] };

/** A failure to store one instance, carrying the PS3.4 status that describes it. */
export class StoreError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The instance concerned, when it could be read. */
    readonly sop?: { classUid: string; instanceUid: string },
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

/** Configuration that cannot work: reported at start-up, before anything listens. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The one HTTP/FHIR error: the OperationOutcome to answer with, its HTTP status and any headers
 * the answer needs. Built by the factories below, which fix status and issue code; its message is
 * the issues' diagnostics.
 */
export class OperationOutcomeError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    readonly headers: Record<string, string> = {},
  ) {
    super(outcome.issue.map((i) => i.diagnostics ?? i.details?.text ?? i.code).join('; '));
    this.name = 'OperationOutcomeError';
  }
}

/** An OperationOutcome of one issue; `expression` names the element or parameter at fault. */
export function outcome(
  severity: OperationOutcomeIssue['severity'],
  code: string,
  text: string,
  expression?: string,
): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code, diagnostics: text };
  if (expression) issue.expression = [expression];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** A factory of one kind of failure: (diagnostics, expression?, headers?) → error. */
const fail = (status: number, code: string) => (text: string, expression?: string, headers?: Record<string, string>) =>
  new OperationOutcomeError(status, outcome('error', code, text, expression), headers);

export const badRequest = fail(400, 'invalid');
export const forbidden = fail(403, 'forbidden');
export const notFound = fail(404, 'not-found');
export const methodNotAllowed = fail(405, 'not-supported');
export const notAcceptable = fail(406, 'not-supported');
export const conflict = fail(409, 'conflict');
export const gone = fail(410, 'deleted');
export const preconditionFailed = fail(412, 'conflict');
export const payloadTooLarge = fail(413, 'too-costly');
export const unsupportedMediaType = fail(415, 'not-supported');
export const unprocessable = fail(422, 'processing');
export const tooCostly = fail(400, 'too-costly');
/** Busy or shutting down: try again later (with Retry-After). */
export const serviceUnavailable = fail(503, 'transient');
/** A peer we fetched from failed (e.g. a remote PACS behind WADO-RS). */
export const badGateway = fail(502, 'exception');

/** Several issues at once (validation reports every problem it finds). */
export function invalid(issues: OperationOutcomeIssue[]): OperationOutcomeError {
  return new OperationOutcomeError(400, { resourceType: 'OperationOutcome', issue: issues });
}

/** Any thrown value as an OperationOutcomeError: unknown errors become 500 without their message (it may hold PHI). */
export function asOutcomeError(error: unknown, text = 'internal error'): OperationOutcomeError {
  if (error instanceof OperationOutcomeError) return error;
  // SQLite's "database is locked" (SQLITE_BUSY*): another writer held the lock; nothing was written.
  if (isSqliteBusy(error))
    return serviceUnavailable('the store is busy; nothing was written, try again', undefined, { 'retry-after': '1' });
  return new OperationOutcomeError(500, outcome('error', 'exception', text));
}

/** True for SQLite's "database is locked" (SQLITE_BUSY and its extended codes). */
export function isSqliteBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}
