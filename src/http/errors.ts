import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { QueryError } from '../archive/query/index.js';
import {
  OperationOutcomeError,
  asOutcomeError,
  badRequest,
  notFound,
  outcome,
  serviceUnavailable,
} from '../core/errors.js';
import { FhirServerError } from '../fhir/client/errors.js';

/**
 * The one place HTTP errors are answered: whatever a route throws becomes a status and an
 * OperationOutcome. An OperationOutcomeError as it is; the query engine's QueryError as a 400;
 * Fastify's own refusals (body parsing, size, content type) by their status; anything else as a
 * 500 without its message (it may hold PHI), logged with the request id.
 */

/**
 * How a route writes its errors (route option `config.errors`):
 * - `dicomweb` (default): application/json, the reason also in a PS3.18 Warning header so
 *   DICOMweb clients that only read headers see it;
 * - `fhir`: application/fhir+json like the FHIR API (the context and AI-results APIs), no Warning.
 */
export type ErrorStyle = 'dicomweb' | 'fhir';

declare module 'fastify' {
  interface FastifyContextConfig {
    errors?: ErrorStyle;
  }
}

/** Route config fragment of the FHIR-shaped APIs: `{ config: { access: …, ...FHIR_ERRORS } }`. */
export const FHIR_ERRORS = { errors: 'fhir' } as const;

/** The issue code of a Fastify refusal, which has only a status. */
const ISSUE_CODE = new Map<number, string>([
  [400, 'invalid'],
  [401, 'login'],
  [403, 'forbidden'],
  [404, 'not-found'],
  [405, 'not-supported'],
  [406, 'not-supported'],
  [409, 'conflict'],
  [413, 'too-costly'],
  [415, 'not-supported'],
  [503, 'transient'],
]);

export function warningHeader(text: string): string {
  // A header value is Latin-1 text: anything else (and quotes, backslashes, line breaks) becomes a space or '?'.
  return `299 imaging-bridge "${text
    .replace(/["\\\r\n]/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 500)}"`;
}

/** Writes an error as its status, headers and OperationOutcome, in the route's style. */
export function sendOutcome(reply: FastifyReply, err: OperationOutcomeError, style: ErrorStyle = 'dicomweb'): void {
  void reply.code(err.status);
  if (style === 'fhir') {
    void reply.headers(err.headers).type('application/fhir+json').send(err.outcome);
    return;
  }
  void reply
    .headers({ ...err.headers, warning: warningHeader(err.message) })
    .type('application/json')
    .send(err.outcome);
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  const status = (error as FastifyError).statusCode;
  // Fastify's refusals come before the route's code runs: always answered the DICOMweb way.
  if (!(error instanceof OperationOutcomeError) && status && status >= 400 && status < 500) {
    const refusal = new OperationOutcomeError(
      status,
      outcome('error', ISSUE_CODE.get(status) ?? 'exception', error.message),
    );
    return sendOutcome(reply, refusal);
  }
  const style = request.routeOptions.config?.errors ?? 'dicomweb';
  const err =
    error instanceof QueryError
      ? badRequest(error.message)
      : error instanceof FhirServerError && error.status === 503
        ? // The FHIR server (ours, busy writing) did not act, even after the client's retries: transient.
          serviceUnavailable('the FHIR server is busy; nothing was written, try again', undefined, {
            'retry-after': '1',
          })
        : asOutcomeError(
            error,
            style === 'fhir' ? 'internal error' : `internal error; the request id is ${request.id}`,
          );
  if (err.status >= 500) request.log.error({ err: error }, 'request failed');
  return sendOutcome(reply, err, style);
}

/** The answer to a path no route serves (also what the console's catch-all gives an unknown API path). */
export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  sendOutcome(reply, notFound(`no route for ${req.method} ${req.url.split('?')[0]}`));
}
