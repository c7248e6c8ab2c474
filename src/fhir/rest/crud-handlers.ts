import { OperationOutcomeError, badRequest, forbidden, preconditionFailed } from '../../core/errors.js';
import { parseSearch } from '../search/parse-search.js';
import type { SearchRequest } from '../search/search-request.js';
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
  if (condition)
    return holding(ctx, conditionKey(type, queryOf(condition)), (tx) => createIfNone(tx, req, type, condition));
  return createNew(ctx, req, type, await serverSide(ctx, req, resourceBody(req, type)));
}

/** The conditional create, its condition held: the match if there is one, else a new resource. */
async function createIfNone(
  ctx: RouterContext,
  req: FhirRequest,
  type: string,
  condition: string,
): Promise<FhirResponse> {
  const resource = await serverSide(ctx, req, resourceBody(req, type));
  const existing = await matches(ctx, type, queryOf(condition), req);
  if (existing.length > 1) throw preconditionFailed(`If-None-Exist matches ${existing.length} resources`);
  if (existing.length === 1) {
    noteId(req, existing[0]);
    notePatients(ctx, req, existing[0]);
    return resourceResponse(200, existing[0], ctx, { ...req, method: 'GET' });
  }
  return createNew(ctx, req, type, resource);
}

async function createNew(
  ctx: RouterContext,
  req: FhirRequest,
  type: string,
  resource: FhirResource,
): Promise<FhirResponse> {
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
  return holding(ctx, conditionKey(type, req.query), async (tx) => {
    const found = await matches(tx, type, req.query, req);
    if (found.length > 1) throw preconditionFailed(`the condition matches ${found.length} resources`);
    if (found.length === 1) {
      if (resource.id !== undefined && resource.id !== found[0].id)
        throw badRequest(`the body has id ${resource.id}, the match is ${found[0].id}`, 'id');
      return update(tx, { ...req, body: { ...resource, id: found[0].id } }, type, found[0].id!);
    }
    if (resource.id !== undefined) return update(tx, { ...req, body: resource }, type, resource.id);
    return createNew(tx, req, type, await serverSide(tx, req, resource));
  });
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

/** DELETE [type]?[search]: one match at most (several: 412, CapabilityStatement conditionalDelete `single`). */
export async function conditionalDelete(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  if ([...req.query.keys()].length === 0) throw badRequest('a conditional delete needs search parameters');
  return holding(ctx, conditionKey(type, req.query), async (tx) => {
    const found = await matches(tx, type, req.query, req);
    if (found.length > 1) throw preconditionFailed(`the condition matches ${found.length} resources`);
    if (found.length === 0) return outcomeResponse(200, 'nothing matched; nothing deleted');
    return remove(tx, req, type, found[0].id!);
  });
}

/**
 * `fn` in one repository transaction holding `key` (FhirRepository.exclusive) until it ends, so a
 * conditional interaction's search and its write are one step for every process on the store:
 * a concurrent one on the same condition (another instance on the database) waits, then finds
 * what this one wrote. Without it two conditional updates matching nothing would both create,
 * and an update could bring back what a conditional delete removed after its search.
 * Inside a transaction (a Bundle entry), in that one.
 */
async function holding(
  ctx: RouterContext,
  key: string,
  fn: (tx: RouterContext) => Promise<FhirResponse>,
): Promise<FhirResponse> {
  if (!ctx.inTransaction)
    return ctx.repo.transaction((repo) => holding({ ...ctx, repo, inTransaction: true }, key, fn));
  await ctx.repo.exclusive?.(key);
  return fn(ctx);
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
  return (await ctx.repo.search(matchSearch(ctx, type, query, req))).resources;
}

/** The search `matches` runs (parsed and checked: a bad condition throws here). */
export function matchSearch(
  ctx: RouterContext,
  type: string,
  query: URLSearchParams,
  req?: FhirRequest,
): SearchRequest {
  const { request } = parseSearch(ctx.registry, type, query, { defaultCount: 2, maxCount: 2, baseUrl: ctx.baseUrl });
  const conditions = req?.principal
    ? [...authorizeChains(ctx, req, request.conditions), ...accessConditions(ctx, type, accessOf(req, type, 's'))]
    : request.conditions;
  return { ...request, conditions, count: 2, offset: 0, total: false, include: [], revinclude: [] };
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

/**
 * The key a conditional interaction on `type` holds (FhirRepository.exclusive): one per condition
 * whatever its spelling (parameter order, percent-encoding), so a conditional create, update and
 * delete on `identifier=x` take turns.
 */
export function conditionKey(type: string, condition: URLSearchParams): string {
  const params = [...condition].sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : x > y ? 1 : 0) : a < b ? -1 : 1));
  return `${type}?${new URLSearchParams(params).toString()}`;
}
