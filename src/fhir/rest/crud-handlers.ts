import { badRequest, preconditionFailed } from '../outcomes.js';
import { parseSearch } from '../search/parse-search.js';
import type { FhirResource } from '../types.js';
import { validateFhirResource } from '../validate.js';
import { resourceBody } from './body.js';
import { etagVersion, outcomeResponse, resourceResponse, type FhirRequest, type FhirResponse, type RouterContext } from './context.js';
import { queryOf } from './query.js';

export async function read(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const resource = await ctx.repo.read(type, id);
  const seen = etagVersion(req.headers['if-none-match']);
  if (seen !== undefined && seen === resource.meta?.versionId) return { status: 304, headers: { etag: `W/"${seen}"` } };
  return resourceResponse(200, resource, ctx);
}

export async function vread(ctx: RouterContext, type: string, id: string, versionId: string): Promise<FhirResponse> {
  return resourceResponse(200, await ctx.repo.vread(type, id, versionId), ctx);
}

/** POST [type], conditional with If-None-Exist. */
export async function create(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const resource = resourceBody(req, type);
  const condition = req.headers['if-none-exist'];
  if (condition) {
    const existing = await matches(ctx, type, queryOf(condition));
    if (existing.length > 1) throw preconditionFailed(`If-None-Exist matches ${existing.length} resources`);
    if (existing.length === 1) return resourceResponse(200, existing[0], ctx, { ...req, method: 'GET' });
  }
  validateFhirResource(resource);
  const stored = req.assignedId
    ? await ctx.repo.create({ ...resource, id: req.assignedId }, { keepId: true })
    : await ctx.repo.create(resource);
  return resourceResponse(201, stored, ctx, req);
}

/** PUT [type]/[id]. */
export async function update(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  const resource = resourceBody(req, type);
  if (resource.id === undefined) throw badRequest('an update must carry the id in the body', 'id');
  if (resource.id !== id) throw badRequest(`the body has id ${resource.id}, the URL ${id}`, 'id');
  validateFhirResource(resource);
  const { resource: stored, created } = await ctx.repo.update(resource, { ifMatch: etagVersion(req.headers['if-match']), method: 'PUT' });
  return resourceResponse(created ? 201 : 200, stored, ctx, req);
}

/** PUT [type]?[search]: update the one match, create when there is none. */
export async function conditionalUpdate(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const resource = resourceBody(req, type);
  const found = await matches(ctx, type, req.query);
  if (found.length > 1) throw preconditionFailed(`the condition matches ${found.length} resources`);
  if (found.length === 1) {
    if (resource.id !== undefined && resource.id !== found[0].id) throw badRequest(`the body has id ${resource.id}, the match is ${found[0].id}`, 'id');
    return update(ctx, { ...req, body: { ...resource, id: found[0].id } }, type, found[0].id!);
  }
  if (resource.id !== undefined) return update(ctx, { ...req, body: resource }, type, resource.id);
  return create(ctx, { ...req, body: resource, headers: { ...req.headers, 'if-none-exist': undefined } }, type);
}

export async function remove(ctx: RouterContext, req: FhirRequest, type: string, id: string): Promise<FhirResponse> {
  await ctx.repo.delete(type, id, { ifMatch: etagVersion(req.headers['if-match']) });
  return outcomeResponse(200, `${type}/${id} deleted`);
}

/** DELETE [type]?[search]: one match at most. */
export async function conditionalDelete(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  if ([...req.query.keys()].length === 0) throw badRequest('a conditional delete needs search parameters');
  const found = await matches(ctx, type, req.query);
  if (found.length > 1) throw preconditionFailed(`the condition matches ${found.length} resources`);
  if (found.length === 0) return outcomeResponse(200, 'nothing matched; nothing deleted');
  return remove(ctx, req, type, found[0].id!);
}

/** Up to two matches: enough to tell none, one and several apart. */
export async function matches(ctx: RouterContext, type: string, query: URLSearchParams): Promise<FhirResource[]> {
  const { request } = parseSearch(ctx.registry, type, query, { defaultCount: 2, maxCount: 2, baseUrl: ctx.baseUrl });
  return (await ctx.repo.search({ ...request, count: 2, offset: 0, total: false, include: [], revinclude: [] })).resources;
}
