import { randomUUID } from 'node:crypto';
import { parseUntrustedJson } from '../../core/untrusted-json.js';
import { OperationOutcomeError, asOutcomeError, badRequest, preconditionFailed } from '../../core/errors.js';
import { isObject, type Bundle, type BundleEntry, type FhirResource } from '../types.js';
import { checkInteraction, describeRequest } from './authorize.js';
import { checkBatchCount, checkEntryCount } from './batch-limits.js';
import { jsonBody } from './body.js';
import { READ_ONLY_TYPES } from './capability-statement.js';
import { FHIR_JSON, type AccessRecord, type FhirRequest, type FhirResponse, type RouterContext } from './context.js';
import { conditionKey, matchSearch, matches } from './crud-handlers.js';
import type { SearchRequest } from '../search/search-request.js';
import { queryOf, splitUrl } from '../../core/query-string.js';
import { rewriteReferences } from './rewrite-references.js';
import { stagedCreates } from './staged-creates.js';

export type Dispatch = (ctx: RouterContext, req: FhirRequest) => Promise<FhirResponse>;

/** Transaction order (FHIR R4 3.1.0.11.2): deletes, creates, updates and patches, then reads. */
const ORDER: ReadonlyMap<string, number> = new Map([
  ['DELETE', 0],
  ['POST', 1],
  ['PUT', 2],
  ['PATCH', 2],
  ['GET', 3],
  ['HEAD', 3],
]);

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified' };

/** POST [base] with a batch or transaction Bundle. */
export async function processBundle(ctx: RouterContext, req: FhirRequest, dispatch: Dispatch): Promise<FhirResponse> {
  const bundle = jsonBody(req);
  if (!isObject(bundle) || bundle.resourceType !== 'Bundle')
    throw badRequest('POST to the base takes a batch or transaction Bundle', 'resourceType');
  if (bundle.type !== 'batch' && bundle.type !== 'transaction')
    throw badRequest(`Bundle.type must be batch or transaction, not ${String(bundle.type)}`, 'Bundle.type');
  if (ctx.inTransaction) throw badRequest('a Bundle inside a transaction is not supported');
  const entries = (Array.isArray(bundle.entry) ? bundle.entry : []) as BundleEntry[];
  checkEntryCount(bundle.type, entries.length, ctx.batchLimits);
  const requests = entries.map((e, i) => ({
    ...entryRequest(e, i, req.headers.prefer),
    principal: req.principal,
    ...(req.validated ? { validated: true } : {}),
  }));
  checkBatchCount(requests, ctx, ctx.batchLimits);
  const records: (AccessRecord | undefined)[] = new Array(requests.length);
  if (req.record) req.record.interaction = bundle.type;
  try {
    const responses =
      bundle.type === 'batch'
        ? await batch(ctx, requests, dispatch, records)
        : await transaction(ctx, entries, requests, dispatch, records);
    const body: Bundle = {
      resourceType: 'Bundle',
      type: `${bundle.type}-response`,
      entry: responses.map(responseEntry),
    };
    return { status: 200, headers: { 'content-type': FHIR_JSON }, body };
  } finally {
    // Entries a failed transaction never ran are listed without a status.
    if (req.record)
      req.record.entries = Array.from(
        records,
        (r, i) => r ?? describeRequest(requests[i], requests[i].path.split('/').filter(Boolean)),
      );
  }
}

function entryRequest(entry: BundleEntry, i: number, prefer: string | undefined): FhirRequest {
  const r = entry.request;
  if (!isObject(r) || typeof r.method !== 'string' || typeof r.url !== 'string')
    throw badRequest(`entry ${i} has no request.method and request.url`, `Bundle.entry[${i}].request`);
  const method = r.method.toUpperCase();
  if (!ORDER.has(method))
    throw badRequest(`entry ${i}: method ${r.method} is not allowed in a Bundle`, `Bundle.entry[${i}].request.method`);
  const { path, query } = splitUrl(r.url.replace(/^https?:\/\/[^/]+\/fhir\//, ''));
  const headers: Record<string, string | undefined> = {
    'if-match': r.ifMatch,
    'if-none-match': r.ifNoneMatch,
    'if-none-exist': r.ifNoneExist,
    prefer,
  };
  if (method === 'PATCH') headers['content-type'] = 'application/json-patch+json';
  // A Binary resource carries a JSON Patch as its data (FHIR R4 3.1.0.11.5).
  const body =
    method === 'PATCH' && entry.resource?.resourceType === 'Binary' ? binaryPatch(entry.resource, i) : entry.resource;
  return { method, path, query, headers, body };
}

function binaryPatch(binary: FhirResource, i: number): unknown {
  try {
    return parseUntrustedJson(Buffer.from(String(binary.data ?? ''), 'base64').toString('utf8'));
  } catch {
    throw badRequest(`entry ${i}: the Binary does not hold a JSON Patch`, `Bundle.entry[${i}].resource`);
  }
}

async function batch(
  ctx: RouterContext,
  requests: FhirRequest[],
  dispatch: Dispatch,
  records: (AccessRecord | undefined)[],
): Promise<FhirResponse[]> {
  const out: FhirResponse[] = [];
  for (const [i, req] of requests.entries()) {
    const res = await settle(() => dispatch(ctx, req));
    records[i] = req.record && { ...req.record, status: res.status };
    out.push(res);
  }
  return out;
}

/**
 * A transaction any of whose entries the caller's scopes refuse fails as a whole, before anything
 * runs (entries naming no resource type or writing a read-only type are left to their 404 / 405).
 */
function checkEntries(ctx: RouterContext, requests: FhirRequest[]): void {
  for (const [i, r] of requests.entries()) {
    const parts = r.path.split('/').filter(Boolean);
    if (parts.length === 0 || !ctx.registry.isResourceType(parts[0])) continue;
    if (READ_ONLY_TYPES.has(parts[0]) && r.method !== 'GET' && r.method !== 'HEAD') continue;
    try {
      checkInteraction(r, describeRequest(r, parts));
    } catch (e) {
      throw entryFailure(asOutcomeError(e), i);
    }
  }
}

/** All entries in one repository transaction; the first failure rolls everything back and is the answer. */
async function transaction(
  ctx: RouterContext,
  entries: BundleEntry[],
  requests: FhirRequest[],
  dispatch: Dispatch,
  records: (AccessRecord | undefined)[],
): Promise<FhirResponse[]> {
  if (requests.some((r) => r.principal)) checkEntries(ctx, requests);
  return ctx.repo.transaction(async (repo) => {
    const tx: RouterContext = { ...ctx, repo, inTransaction: true };
    const placeholders = await reserveIds(tx, entries, requests);
    const resolved = requests.map((r) =>
      isObject(r.body) ? { ...r, body: rewriteReferences(r.body, placeholders) } : r,
    );
    const responses: FhirResponse[] = new Array(resolved.length);
    const order = resolved
      .map((_, i) => i)
      .sort((a, b) => ORDER.get(resolved[a].method)! - ORDER.get(resolved[b].method)! || a - b);
    const batched = plainCreates(tx, resolved, order);
    const early = new Map<number, Promise<Settled>>();
    for (const i of order) {
      if (batched.has(i) && !early.has(i)) {
        // The run of plain creates this entry starts (none other in between), written together (staged-creates.ts).
        const run = runFrom(order, order.indexOf(i), batched);
        if (run.length > 1) {
          const answers = stagedCreates(
            tx,
            run.map((j) => resolved[j]),
            (c, r) => settle(() => dispatch(c, r)),
          );
          run.forEach((j, n) =>
            early.set(
              j,
              answers.then((a) => a[n]!),
            ),
          );
        }
      }
      const res = await (early.get(i) ?? settle(() => dispatch(tx, resolved[i])));
      records[i] = resolved[i].record && { ...resolved[i].record!, status: res.status };
      if (res.status >= 400) throw entryFailure(asOutcomeError(res.error), i);
      responses[i] = res;
    }
    return responses;
  });
}

/**
 * Maps each urn:uuid fullUrl to the Type/id it will have: a new id for a create, the match
 * of a conditional create (which then does not create), or the URL of an update.
 */
async function reserveIds(
  tx: RouterContext,
  entries: BundleEntry[],
  requests: FhirRequest[],
): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  // Every conditional entry's condition held until the transaction ends (another instance's
  // conditional write of the same condition waits, then finds this one), all taken here in one
  // order, before any entry takes its own: no deadlock between two transactions.
  const held = new Set<string>();
  for (const req of requests) {
    const condition = conditionOf(req);
    if (condition) held.add(conditionKey(req.path, condition));
  }
  if (held.size) await tx.repo.exclusive?.([...held].sort());
  const searched = await conditionalMatches(tx, requests);
  for (const [i, entry] of entries.entries()) {
    const req = requests[i];
    const fullUrl = entry.fullUrl;
    if (isCreateOnType(req)) {
      const condition = req.headers['if-none-exist'];
      const found = condition ? (searched.get(i) ?? (await matches(tx, req.path, queryOf(condition), req))) : [];
      if (found.length > 1) throw preconditionFailed(`entry ${i}: If-None-Exist matches ${found.length} resources`);
      if (found.length === 1) {
        if (fullUrl) map.set(fullUrl, `${req.path}/${found[0].id}`);
        continue;
      }
      req.assignedId = randomUUID();
      req.headers = { ...req.headers, 'if-none-exist': undefined };
      if (fullUrl) map.set(fullUrl, `${req.path}/${req.assignedId}`);
    } else if (req.method === 'PUT' && fullUrl?.startsWith('urn:') && /^[A-Za-z]+\/[^/]+$/.test(req.path)) {
      map.set(fullUrl, req.path);
    }
  }
  return map;
}

/**
 * The entries written with one FhirRepository.createMany (stagedCreates): creates under an id
 * reserved for them (not conditional, or whose condition matched nothing), consecutive in the
 * order of operations (all POSTs are), when the repository has createMany and searchMany (a store
 * with round trips to save), there are two or more, and no entry has a principal (stagedCreates).
 */
function plainCreates(tx: RouterContext, resolved: FhirRequest[], order: number[]): Set<number> {
  const out = new Set<number>();
  // Only where several creates in one call save round trips: the stores that also take several
  // searches at once (PostgreSQL). On SQLite a create costs no round trip, and staging a run only
  // holds every entry's work in memory at once (the demo load at start: idle RSS 155 vs 150 MB).
  if (!tx.repo.createMany || !tx.repo.searchMany || resolved.some((r) => r.principal)) return out;
  for (const i of order) {
    const r = resolved[i];
    if (r.method === 'POST' && r.assignedId && !r.headers['if-none-exist']) out.add(i);
  }
  return out;
}

/** The entries from order[from] on while they are in `set`. */
function runFrom(order: number[], from: number, set: ReadonlySet<number>): number[] {
  let to = from;
  while (to < order.length && set.has(order[to])) to++;
  return order.slice(from, to);
}

const isCreateOnType = (req: FhirRequest) => req.method === 'POST' && !!req.path && !req.path.includes('/');

/**
 * The matches of the conditional creates' If-None-Exist, all searched in one step where the
 * repository takes several searches at once (FhirRepository.searchMany), by entry; those it
 * leaves out are searched one by one, in order, as before: all of them without searchMany (SQLite),
 * and from the first condition that does not parse on (its error is thrown in its turn).
 */
async function conditionalMatches(tx: RouterContext, requests: FhirRequest[]): Promise<Map<number, FhirResource[]>> {
  const out = new Map<number, FhirResource[]>();
  if (!tx.repo.searchMany) return out;
  const at: number[] = [];
  const searches: SearchRequest[] = [];
  for (const [i, req] of requests.entries()) {
    const condition = isCreateOnType(req) && req.headers['if-none-exist'];
    if (!condition) continue;
    try {
      searches.push(matchSearch(tx, req.path, queryOf(condition), req));
    } catch {
      break;
    }
    at.push(i);
  }
  if (searches.length < 2) return out;
  const pages = await tx.repo.searchMany(searches);
  at.forEach((i, n) => out.set(i, pages[n]!));
  return out;
}

/** The condition of a conditional create, update or delete entry (on a type, no id). */
function conditionOf(req: FhirRequest): URLSearchParams | undefined {
  if (!req.path || req.path.includes('/')) return undefined;
  const ifNoneExist = req.method === 'POST' && req.headers['if-none-exist'];
  if (ifNoneExist) return queryOf(ifNoneExist);
  if ((req.method === 'PUT' || req.method === 'DELETE') && req.query.size > 0) return req.query;
  return undefined;
}

type Settled = FhirResponse & { error?: unknown };

/** The transaction's answer when entry `i` fails: that entry's status, its issues prefixed with the entry. */
function entryFailure(err: OperationOutcomeError, i: number): OperationOutcomeError {
  const issue = err.outcome.issue.map((is) => ({
    ...is,
    diagnostics: `Bundle.entry[${i}]: ${is.diagnostics ?? is.details?.text ?? is.code}`,
  }));
  return new OperationOutcomeError(err.status, { resourceType: 'OperationOutcome', issue });
}

async function settle(fn: () => Promise<FhirResponse>): Promise<Settled> {
  try {
    return await fn();
  } catch (e) {
    const err = asOutcomeError(e);
    return { status: err.status, headers: {}, body: err.outcome, error: err };
  }
}

function responseEntry(res: FhirResponse): BundleEntry {
  const response: BundleEntry['response'] = { status: `${res.status} ${STATUS_TEXT[res.status] ?? ''}`.trim() };
  if (res.headers.location) response.location = res.headers.location;
  if (res.headers.etag) response.etag = res.headers.etag;
  if (res.body?.meta?.lastUpdated) response.lastModified = res.body.meta.lastUpdated;
  const entry: BundleEntry = { response };
  if (res.body?.resourceType === 'OperationOutcome') response.outcome = res.body;
  else if (res.body) {
    entry.resource = res.body as FhirResource;
    if (res.body.id) entry.fullUrl = res.headers.location?.replace(/\/_history\/.*$/, '');
  }
  return entry;
}
