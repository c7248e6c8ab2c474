import { badRequest } from '../../core/errors.js';
import { isObject, type FhirResource } from '../types.js';
import { validateFhirResource } from '../validate.js';
import { accessOf, ensureAllowed, notePatients } from './authorize.js';
import { jsonBody } from './body.js';
import { etagVersion, resourceResponse, type FhirRequest, type FhirResponse, type RouterContext } from './context.js';
import { serverSide } from './crud-handlers.js';
import { applyJsonPatch } from './json-patch.js';

/** PATCH [type]/[id] with application/json-patch+json, honouring If-Match. */
export async function patch(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const operations = jsonBody(req, ['application/json-patch+json']);
  const current = await ctx.repo.read(type, id);
  const access = accessOf(req, type, 'u');
  await ensureAllowed(ctx, access, current, 'update', true);
  notePatients(ctx, req, current);
  const ifMatch = etagVersion(req.headers['if-match']);
  const applied = applyJsonPatch(current, operations);
  if (!isObject(applied) || applied.resourceType !== type || applied.id !== id)
    throw badRequest('a patch may not change resourceType or id');
  const patched = await serverSide(ctx, req, applied as FhirResource);
  validateFhirResource(patched as FhirResource);
  await ensureAllowed(ctx, access, patched as FhirResource, 'write');
  // Without If-Match, lock to the version the patch was applied to: a concurrent write is a 412, not lost.
  const { resource } = await ctx.repo.update(patched as FhirResource, {
    ifMatch: ifMatch ?? current.meta?.versionId,
    method: 'PATCH',
  });
  notePatients(ctx, req, resource);
  return resourceResponse(200, resource, ctx, req);
}
