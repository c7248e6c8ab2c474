import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../core/errors.js';

/**
 * The one place HTTP errors are shaped: an OperationOutcome body, and the reason also in a
 * PS3.18 Warning header so DICOMweb clients that only read headers see it.
 */
export function operationOutcome(severity: 'error' | 'warning', code: string, text: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics: text }] };
}

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'conflict',
  413: 'too-costly',
  415: 'not-supported',
  503: 'transient',
};

export function warningHeader(text: string): string {
  // A header value is Latin-1 text: anything else (and quotes, backslashes, line breaks) becomes a space or '?'.
  return `299 imaging-bridge "${text
    .replace(/["\\\r\n]/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, 500)}"`;
}

export function sendError(reply: FastifyReply, status: number, text: string, headers: Record<string, string> = {}) {
  void reply
    .code(status)
    .headers({ ...headers, warning: warningHeader(text) })
    .type('application/json')
    .send(operationOutcome('error', ISSUE_CODE[status] ?? 'exception', text));
}

export function errorHandler(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof HttpError) return sendError(reply, error.statusCode, error.message, error.headers);
  const status = (error as FastifyError).statusCode;
  if (status && status >= 400 && status < 500) return sendError(reply, status, error.message);
  request.log.error({ err: error }, 'request failed');
  return sendError(reply, 500, `internal error; the request id is ${request.id}`);
}
