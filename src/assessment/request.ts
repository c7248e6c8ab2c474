/** The body of POST /api/assessment: the CLI's flags as JSON, each optional, validated field by field. */
import { badRequest } from '../core/errors.js';
import { isRecord } from './http-probe.js';
import type { AssessRequest } from './targets.js';

const STRINGS = ['fhir', 'fhirAuth', 'dicomweb', 'dimse', 'since', 'timeout', 'format'] as const;

export function parseAssessRequest(body: unknown): AssessRequest & { format?: string } {
  if (body === undefined || body === null || body === '') return {};
  if (!isRecord(body)) throw badRequest('the body must be a JSON object', 'body');
  const out: AssessRequest & { format?: string } = {};
  for (const [key, value] of Object.entries(body)) {
    const known = STRINGS.find((k) => k === key);
    if (known) {
      if (typeof value !== 'string' || value.length > 2000) throw badRequest(`${key} must be a string`, key);
      out[known] = value;
    } else if (key === 'dicomwebHeaders') {
      if (!Array.isArray(value) || value.length > 20 || !value.every((v) => typeof v === 'string'))
        throw badRequest('dicomwebHeaders must be a list of "Name: value" strings', key);
      out.dicomwebHeaders = value as string[];
    } else if (key === 'probeStow') {
      if (typeof value !== 'boolean') throw badRequest('probeStow must be true or false', key);
      out.probeStow = value;
    } else
      throw badRequest(
        `unknown field "${key.slice(0, 40)}" (known: ${[...STRINGS, 'dicomwebHeaders', 'probeStow'].join(', ')})`,
        key.slice(0, 40),
      );
  }
  // The server's own AE title is its identity towards peers: not chosen per request.
  return out;
}
