import { resourceAllowed, typeAccess, type TypeAccess } from '../access/scope-access.js';
import type { Principal } from '../../auth/principal.js';
import type { Interaction } from '../../auth/scopes.js';
import { forbidden } from '../../core/errors.js';
import { compartmentCondition, compartmentPatients } from '../search/compartment.js';
import { parseCondition } from '../search/parse-search.js';
import type { Condition, SearchRequest } from '../search/search-request.js';
import type { FhirResource } from '../types.js';
import type { AccessRecord, FhirInteraction, FhirRequest, RouterContext } from './context.js';

/**
 * SMART scope enforcement inside the router. A request without a principal is the service's
 * own call and is not restricted; with one, every interaction is checked on its type up front
 * (`checkInteraction`), then on the resources it touches (compartment, v2 query suffixes).
 */

const UNRESTRICTED: TypeAccess = Object.freeze({ allowed: true, unrestricted: true, grants: [{}] });

/** The SMART permissions each interaction needs (conditional forms also need `s`, added below). */
const REQUIRED: Partial<Record<FhirInteraction, Interaction[]>> = {
  read: ['r'],
  vread: ['r'],
  'history-instance': ['r'],
  'history-type': ['r', 's'],
  'history-system': ['r', 's'],
  'search-type': ['s'],
  create: ['c'],
  update: ['u'],
  patch: ['u'],
  delete: ['d'],
};

/** Which interaction a request is, from its method and path (before any handler runs). */
export function describeRequest(req: FhirRequest, parts: string[]): AccessRecord {
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  const query = [...req.query.keys()].length ? req.query.toString() : undefined;
  const record = (interaction: FhirInteraction, resourceType?: string, id?: string): AccessRecord => ({
    interaction,
    ...(resourceType ? { resourceType } : {}),
    ...(id ? { id } : {}),
    ...(query ? { query } : {}),
    patientIds: [],
  });
  const [type, second, third, fourth] = parts;
  if (parts.length === 0) return record(m === 'POST' ? 'batch' : 'unknown');
  if (parts.length === 1 && type === 'metadata') return record('capabilities');
  if (parts.length === 1 && type === '_history') return record('history-system');
  if (parts.length === 1)
    return record(
      ({ GET: 'search-type', POST: 'create', PUT: 'update', DELETE: 'delete' } as const)[m as 'GET'] ?? 'unknown',
      type,
    );
  if (parts.length === 2 && second === '_search') return record('search-type', type);
  if (parts.length === 2 && second === '_history') return record('history-type', type);
  if (second.startsWith('$') || second.startsWith('_')) return record('operation', type);
  if (parts.length === 2)
    return record(
      ({ GET: 'read', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as const)[m as 'GET'] ?? 'unknown',
      type,
      second,
    );
  if (parts.length === 3 && third === '_history') return record('history-instance', type, second);
  if (parts.length === 4 && third === '_history') return { ...record('vread', type, second), versionId: fourth };
  return record('unknown', type);
}

/** 403 unless the principal's scopes grant the interaction on the type (restricted or not). */
export function checkInteraction(req: FhirRequest, record: AccessRecord): void {
  const principal = req.principal;
  if (!principal) return;
  const needed = REQUIRED[record.interaction];
  if (!needed) return;
  const conditional = (record.interaction === 'update' || record.interaction === 'delete') && !record.id;
  const letters: Interaction[] =
    conditional || (record.interaction === 'create' && req.headers['if-none-exist']) ? [...needed, 's'] : needed;
  const type = record.interaction === 'history-system' ? '*' : record.resourceType!;
  for (const letter of letters) {
    const access = typeAccess(principal, type, letter);
    if (!access.allowed) throw forbidden(`${label(record)}: ${access.reason}`);
    if (!access.unrestricted && (record.interaction === 'history-type' || record.interaction === 'history-system')) {
      throw forbidden(
        `${label(record)} needs a user/ or system/ scope without a query suffix (${type === '*' ? '*' : type}.rs)`,
      );
    }
  }
}

function label(record: AccessRecord): string {
  return `${record.interaction}${record.resourceType ? ` of ${record.resourceType}` : ''}`;
}

/** What the request's principal may do with `interaction` on `type` (unrestricted without a principal). */
export function accessOf(req: FhirRequest, type: string, interaction: Interaction): TypeAccess {
  return req.principal ? typeAccess(req.principal, type, interaction) : UNRESTRICTED;
}

/**
 * 403 unless `resource` is within `access` (its patient compartment, its scope suffix). `current`:
 * it is the stored current version, so the index can judge what memory cannot (a suffix on a
 * date or number); otherwise (a new resource, an older version) such a suffix refuses.
 */
export async function ensureAllowed(
  ctx: RouterContext,
  access: TypeAccess,
  resource: FhirResource,
  doing: 'read' | 'update' | 'delete' | 'write',
  current = false,
): Promise<void> {
  if (access.unrestricted) return;
  const use = doing === 'read' ? 'read' : 'write';
  let ok = resourceAllowed(access, resource, ctx.registry, ctx.baseUrl, use);
  if (ok === undefined && current && resource.id) {
    const conditions = [
      { kind: 'id', ids: [resource.id], not: false } as Condition,
      ...accessConditions(ctx, resource.resourceType, access),
    ];
    const found = await ctx.repo.search({
      resourceType: resource.resourceType,
      conditions,
      sort: [],
      count: 1,
      offset: 0,
      total: false,
      include: [],
      revinclude: [],
    });
    ok = found.resources.length > 0;
  }
  if (!ok) {
    const what = resource.id ? `${resource.resourceType}/${resource.id}` : `this ${resource.resourceType}`;
    const reach =
      use === 'write'
        ? "its patient's own record: the patient of record (subject/patient) and every patient reference must be the token's patient"
        : 'its patient compartment';
    throw forbidden(`${what} is outside what the access token allows to ${doing} (${reach}, or its scope query)`);
  }
}

/** The search conditions that keep a search within `access` (none when unrestricted). */
export function accessConditions(ctx: RouterContext, type: string, access: TypeAccess): Condition[] {
  if (access.unrestricted) return [];
  const groups: Condition[][] = [];
  for (const g of access.grants) {
    const group: Condition[] = [];
    if (g.patient !== undefined) {
      const c = compartmentCondition(ctx.registry, type, g.patient);
      if (c) group.push(c);
    }
    try {
      for (const [key, value] of g.suffix?.params ?? [])
        group.push(parseCondition(ctx.registry, type, key, value, ctx.baseUrl));
    } catch {
      continue; // a suffix this type cannot be searched by: the grant matches nothing here
    }
    groups.push(group);
  }
  if (groups.length === 0) return [{ kind: 'id', ids: [], not: false }];
  return groups.length === 1 ? groups[0] : [{ kind: 'any', groups }];
}

/**
 * Chained parameters (`subject:Patient.name=x`) search another type, so they are authorized
 * against it: the principal needs read and search on the target type, and the target's own
 * restrictions (its patient compartment, its scope suffixes) are ANDed into the chain, so a
 * chain matches only targets the principal could have searched for itself. A chain naming its
 * type (`subject:Patient.`) is 403 when that type is not allowed; one that does not
 * (`subject.name`) keeps the target types that are, and is 403 when none is.
 */
export function authorizeChains(ctx: RouterContext, req: FhirRequest, conditions: Condition[]): Condition[] {
  return req.principal ? conditions.map((c) => chainWithinAccess(ctx, req, c)) : conditions;
}

function chainWithinAccess(ctx: RouterContext, req: FhirRequest, c: Condition): Condition {
  if (c.kind === 'any') return { ...c, groups: c.groups.map((g) => g.map((x) => chainWithinAccess(ctx, req, x))) };
  if (c.kind !== 'chain') return c;
  const refusals: string[] = [];
  const targets: { type: string; condition: Condition }[] = [];
  for (const { type, condition } of c.targets) {
    const reads = accessOf(req, type, 'r');
    const searches = accessOf(req, type, 's');
    const refused = [reads, searches].find((a) => !a.allowed);
    if (refused) {
      refusals.push(`${type}: ${refused.reason}`);
      continue;
    }
    const restrictions = accessConditions(ctx, type, searches);
    if (JSON.stringify(reads.grants) !== JSON.stringify(searches.grants))
      restrictions.push(...accessConditions(ctx, type, reads));
    const inner = chainWithinAccess(ctx, req, condition);
    targets.push({
      type,
      condition: restrictions.length ? { kind: 'any', groups: [[inner, ...restrictions]] } : inner,
    });
  }
  if (targets.length === 0 || (refusals.length > 0 && c.targets.length === 1)) {
    throw forbidden(
      `the chained search on ${c.param.code} reads ${c.targets.map((t) => t.type).join(' or ')}, which this token may not search (${refusals.join('; ')})`,
      c.param.code,
    );
  }
  return { ...c, targets };
}

/** Included resources the principal may not see are left out of a search result. */
export function visibleIncluded(
  ctx: RouterContext,
  principal: Principal | undefined,
  included: FhirResource[],
): FhirResource[] {
  if (!principal || included.length === 0) return included;
  return included.filter(
    (r) => resourceAllowed(typeAccess(principal, r.resourceType, 's'), r, ctx.registry, ctx.baseUrl) === true,
  );
}

/** Adds the patients whose compartment `resource` is in to the request's access record. */
export function notePatients(ctx: RouterContext, req: FhirRequest, resource: FhirResource | undefined): void {
  if (!req.record || !req.principal || !resource) return;
  for (const id of compartmentPatients(ctx.registry, resource, ctx.baseUrl))
    if (!req.record.patientIds.includes(id)) req.record.patientIds.push(id);
}

/** The patients a search names: Patient references of compartment parameters, Patient `_id`s, and the compartment restriction. */
export function noteSearchPatients(req: FhirRequest, request: SearchRequest): void {
  if (!req.record || !req.principal) return;
  const ids = new Set(req.record.patientIds);
  const walk = (c: Condition): void => {
    if (c.kind === 'id' && request.resourceType === 'Patient' && !c.not) {
      c.ids.forEach((id) => ids.add(id));
    } else if (c.kind === 'reference') {
      for (const v of c.values)
        if (v.id && (v.targetType === 'Patient' || (!v.targetType && c.param.targets.join() === 'Patient')))
          ids.add(v.id);
    } else if (c.kind === 'any') {
      c.groups.forEach((g) => g.forEach(walk));
    }
  };
  request.conditions.forEach(walk);
  req.record.patientIds = [...ids];
}
