import { parseUntrustedJson } from '../../core/untrusted-json.js';
import { badRequest, unsupportedMediaType } from '../../core/errors.js';
import { isObject, type FhirResource } from '../types.js';
import type { FhirRequest } from './context.js';

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir'];

function mediaType(req: FhirRequest): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** The JSON body of a request in one of `accepted` media types (a Bundle entry's is already parsed). */
export function jsonBody(req: FhirRequest, accepted: string[] = JSON_TYPES): unknown {
  if (typeof req.body !== 'string') {
    if (req.body === undefined) throw badRequest('the request has no body');
    return req.body;
  }
  const type = mediaType(req);
  if (type && !accepted.includes(type))
    throw unsupportedMediaType(`content type ${type} is not supported here; use ${accepted[0]}`);
  if (req.body.trim() === '') throw badRequest('the request has no body');
  try {
    return parseUntrustedJson(req.body);
  } catch (e) {
    throw badRequest(`the body is not valid JSON: ${(e as Error).message}`);
  }
}

/** The body as a resource of `expectedType` (when given). */
export function resourceBody(req: FhirRequest, expectedType?: string): FhirResource {
  const body = jsonBody(req);
  if (!isObject(body) || typeof body.resourceType !== 'string')
    throw badRequest('the body is not a FHIR resource (no resourceType)', 'resourceType');
  if (expectedType && body.resourceType !== expectedType) {
    throw badRequest(`the body is a ${body.resourceType}, the URL names ${expectedType}`, 'resourceType');
  }
  return body as FhirResource;
}

export function formBody(req: FhirRequest): URLSearchParams {
  if (typeof req.body !== 'string' || req.body === '') return new URLSearchParams();
  if (mediaType(req) !== 'application/x-www-form-urlencoded')
    throw unsupportedMediaType('a POST search takes application/x-www-form-urlencoded');
  return new URLSearchParams(req.body);
}
