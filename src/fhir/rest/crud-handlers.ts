import { OperationOutcomeError, badRequest, forbidden, preconditionFailed } from '../../core/errors.js';
import { parseSearch } from '../search/parse-search.js';
import type { FhirResource } from '../types.js';
import { validateFhirResource } from '../validate.js';
import { accessConditions, accessOf, authorizeChains, ensureAllowed, notePatients } from './authorize.js';
import { resourceBody } from './body.js';
import {
  etagVersion,
  outcomeResponse,
  resourceResponse,
  type FhirRequest,
  type FhirResponse,
  type RouterContext,
} from './context.js';
import { queryOf } from '../../core/query-string.js';

export async function read(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const resource = await ctx.repo.read(type, id);
  await ensureAllowed(ctx, accessOf(req, type, 'r'), resource, 'read', true);
  notePatients(ctx, req, resource);
  const seen = etagVersion(req.headers['if-none-match']);
  if (seen !== undefined && seen === resource.meta?.versionId) return { status: 304, headers: { etag: `W/"${seen}"` } };
  return resourceResponse(200, resource, ctx);
}

export async function vread(
  ctx: RouterContext,
  req: FhirRequest,
  type: string,
  id: string,
  versionId: string,
): Promise<FhirResponse> {
  const resource = await ctx.repo.vread(type, id, versionId);
  await ensureAllowed(ctx, accessOf(req, type, 'r'), resource, 'read');
  notePatients(ctx, req, resource);
  return resourceResponse(200, resource, ctx);
}

/** POST [type], conditional with If-None-Exist. */
export async function create(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const condition = req.headers['if-none-exist'];
  // Conditional: the search and the insert in one transaction holding the condition, so a
  // concurrent create of the same condition (another instance on the database) waits and finds this one.
  if (condition && !ctx.inTransaction)
    return ctx.repo.transaction((repo) => create({ ...ctx, repo, inTransaction: true }, req, type));
  const resource = await serverSide(ctx, req, resourceBody(req, type));
  if (condition) {
    await ctx.repo.exclusive?.(conditionKey(type, condition));
    const existing = await matches(ctx, type, queryOf(condition), req);
    if (existing.length > 1) throw preconditionFailed(`If-None-Exist matches ${existing.length} resources`);
    if (existing.length === 1) {
      noteId(req, existing[0]);
      notePatients(ctx, req, existing[0]);
      return resourceResponse(200, existing[0], ctx, { ...req, method: 'GET' });
    }
  }
  if (!req.validated) validateFhirResource(resource);
  await ensureAllowed(ctx, accessOf(req, type, 'c'), resource, 'write');
  const stored = req.assignedId
    ? await ctx.repo.create({ ...resource, id: req.assignedId }, { keepId: true })
    : await ctx.repo.create(resource);
  noteId(req, stored);
  notePatients(ctx, req, stored);
  return resourceResponse(201, stored, ctx, req);
}

/** PUT [type]/[id]. */
export async function update(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  let resource = resourceBody(req, type);
  if (resource.id === undefined) throw badRequest('an update must carry the id in the body', 'id');
  if (resource.id !== id) throw badRequest(`the body has id ${resource.id}, the URL ${id}`, 'id');
  resource = await serverSide(ctx, req, resource);
  if (!req.validated) validateFhirResource(resource);
  let ifMatch = etagVersion(req.headers['if-match']);
  const updating = accessOf(req, type, 'u');
  const creating = accessOf(req, type, 'c');
  if (!updating.unrestricted || !creating.unrestricted) {
    // The stored version must be within the token's reach as well as the new one; a missing one is a create.
    const current = await currentVersion(ctx, type, id);
    const access = current ? updating : creating;
    if (!access.allowed) throw forbidden(`${type}/${id} does not exist, and creating it: ${access.reason}`);
    if (current) {
      await ensureAllowed(ctx, updating, current, 'update', true);
      notePatients(ctx, req, current);
      // Lock to the version checked: a concurrent write cannot slip a resource out of reach.
      ifMatch ??= current.meta?.versionId;
    }
    await ensureAllowed(ctx, access, resource, 'write');
  }
  const { resource: stored, created } = await ctx.repo.update(resource, { ifMatch, method: 'PUT' });
  noteId(req, stored);
  notePatients(ctx, req, stored);
  return resourceResponse(created ? 201 : 200, stored, ctx, req);
}

/** PUT [type]?[search]: update the one match, create when there is none. */
export async function conditionalUpdate(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const resource = resourceBody(req, type);
  const found = await matches(ctx, type, req.query, req);
  if (found.length > 1) throw preconditionFailed(`the condition matches ${found.length} resources`);
  if (found.length === 1) {
    if (resource.id !== undefined && resource.id !== found[0].id)
      throw badRequest(`the body has id ${resource.id}, the match is ${found[0].id}`, 'id');
    return update(ctx, { ...req, body: { ...resource, id: found[0].id } }, type, found[0].id!);
  }
  if (resource.id !== undefined) return update(ctx, { ...req, body: resource }, type, resource.id);
  return create(ctx, { ...req, body: resource, headers: { ...req.headers, 'if-none-exist': undefined } }, type);
}

export async function remove(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  let ifMatch = etagVersion(req.headers['if-match']);
  if (req.principal) {
    const current = await currentVersion(ctx, type, id);
    if (current) {
      const access = accessOf(req, type, 'd');
      await ensureAllowed(ctx, access, current, 'delete', true);
      notePatients(ctx, req, current);
      if (!access.unrestricted) ifMatch ??= current.meta?.versionId;
    }
  }
  await ctx.repo.delete(type, id, { ifMatch });
  if (req.record) req.record.id ??= id;
  return outcomeResponse(200, `${type}/${id} deleted`);
}

/** DELETE [type]?[search]: one match at most. */
export async function conditionalDelete(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  if ([...req.query.keys()].length === 0) throw badRequest('a conditional delete needs search parameters');
  const found = await matches(ctx, type, req.query, req);
  if (found.length > 1) throw preconditionFailed(`the condition matches ${found.length} resources`);
  if (found.length === 0) return outcomeResponse(200, 'nothing matched; nothing deleted');
  return remove(ctx, req, type, found[0].id!);
}

/**
 * Up to two matches: enough to tell none, one and several apart. With a principal, only what
 * its search scopes reach (what it may not see does not match).
 */
export async function matches(
  ctx: RouterContext,
  type: string,
  query: URLSearchParams,
  req?: FhirRequest,
): Promise<FhirResource[]> {
  const { request } = parseSearch(ctx.registry, type, query, { defaultCount: 2, maxCount: 2, baseUrl: ctx.baseUrl });
  const conditions = req?.principal
    ? [...authorizeChains(ctx, req, request.conditions), ...accessConditions(ctx, type, accessOf(req, type, 's'))]
    : request.conditions;
  return (
    await ctx.repo.search({ ...request, conditions, count: 2, offset: 0, total: false, include: [], revinclude: [] })
  ).resources;
}

/** The id of what a create or conditional interaction touched, for the audit record. */
function noteId(req: FhirRequest, resource: FhirResource): void {
  if (!req.record) return;
  req.record.id ??= resource.id;
  req.record.versionId = resource.meta?.versionId;
}

/** The current version, or undefined when there is none (never created, or deleted). */
async function currentVersion(ctx: RouterContext, type: string, id: string): Promise<FhirResource | undefined> {
  try {
    return await ctx.repo.read(type, id);
  } catch (e) {
    if (e instanceof OperationOutcomeError && (e.status === 404 || e.status === 410)) return undefined;
    throw e;
  }
}

/** The resource as the server stores it: RouterContext.beforeWrite applied. */
export async function serverSide(ctx: RouterContext, req: FhirRequest, resource: FhirResource): Promise<FhirResource> {
  return ctx.beforeWrite ? await ctx.beforeWrite(resource, req) : resource;
}

/** The key a conditional create of `type` holds (FhirRepository.exclusive): the same for `identifier=x` and `Patient?identifier=x`. */
export function conditionKey(type: string, condition: string): string {
  return `${type}?${condition.replace(/^[^?]*\?/, '')}`;
}
