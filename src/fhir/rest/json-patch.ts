import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { badRequest, unprocessable } from '../../core/errors.js';
import { isObject } from '../types.js';

const { JsonPatchError, applyPatch } = fastJsonPatch;

/**
 * RFC 6902 JSON Patch through fast-json-patch (validated, prototype modifications banned), on a
 * clone: a refused patch leaves the document untouched. A malformed document is 400; a patch that
 * cannot apply is 422. A path or from naming `__proto__`, `constructor` or `prototype` is refused
 * before anything is walked (400): no FHIR element has those names, and walking them reaches the
 * built-in objects.
 */

/** Path segments that lead out of the document into JavaScript's built-in objects. */
const BANNED_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** fast-json-patch error names meaning the patch document itself is malformed (400); the others are 422. */
const MALFORMED: ReadonlySet<string> = new Set([
  'SEQUENCE_NOT_AN_ARRAY',
  'OPERATION_NOT_AN_OBJECT',
  'OPERATION_OP_INVALID',
  'OPERATION_PATH_INVALID',
  'OPERATION_FROM_REQUIRED',
  'OPERATION_VALUE_REQUIRED',
  'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED',
]);

export function applyJsonPatch(document: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw badRequest('a JSON Patch is an array of operations');
  patch.forEach(checkPointers);
  const doc: unknown = structuredClone(document);
  try {
    return applyPatch(doc, patch as Operation[], true, true, true).newDocument;
  } catch (e) {
    if (e instanceof JsonPatchError) {
      const where = `patch operation ${e.index ?? 0}`;
      if (MALFORMED.has(e.name)) throw badRequest(`${where}: ${e.message}`);
      throw unprocessable(`${where}: ${e.message}`);
    }
    throw unprocessable('the patch cannot be applied to this resource');
  }
}

function checkPointers(raw: unknown, i: number): void {
  if (!isObject(raw)) return; // fast-json-patch's validation names it
  for (const field of ['path', 'from'] as const) {
    const pointer = Object.hasOwn(raw, field) ? raw[field] : undefined;
    if (typeof pointer !== 'string') continue;
    for (const segment of pointer.split('/')) {
      if (BANNED_SEGMENTS.has(segment.replace(/~1/g, '/').replace(/~0/g, '~'))) {
        throw badRequest(
          `patch operation ${i}: the ${field} "${pointer}" names "${segment}", which is not a FHIR element`,
        );
      }
    }
  }
}
