import type { OperationOutcome, OperationOutcomeIssue } from './types.js';

/**
 * The one error type of the FHIR module. Built by the factories below, which fix its HTTP
 * status; the router turns it into a response in one place (rest/router.ts).
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

const fail = (status: number, code: string) => (text: string, expression?: string) =>
  new OperationOutcomeError(status, outcome('error', code, text, expression));

export const badRequest = fail(400, 'invalid');
export const forbidden = fail(403, 'forbidden');
export const notFound = fail(404, 'not-found');
export const methodNotAllowed = fail(405, 'not-supported');
export const notAcceptable = fail(406, 'not-supported');
export const conflict = fail(409, 'conflict');
export const gone = fail(410, 'deleted');
export const preconditionFailed = fail(412, 'conflict');
export const unsupportedMediaType = fail(415, 'not-supported');
export const unprocessable = fail(422, 'processing');
export const tooCostly = fail(400, 'too-costly');

/** Several issues at once (validation reports every problem it finds). */
export function invalid(issues: OperationOutcomeIssue[]): OperationOutcomeError {
  return new OperationOutcomeError(400, { resourceType: 'OperationOutcome', issue: issues });
}

/** Any thrown value as an OperationOutcomeError: unknown errors become 500 without their message (it may hold PHI). */
export function asOutcomeError(error: unknown): OperationOutcomeError {
  if (error instanceof OperationOutcomeError) return error;
  return new OperationOutcomeError(500, outcome('error', 'exception', 'internal error'));
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}
