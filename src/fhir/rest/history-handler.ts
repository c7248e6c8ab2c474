import { badRequest } from '../../core/errors.js';
import type { HistoryScope } from '../repository/repository.js';
import { dateRange } from '../search/fhir-dates.js';
import type { Bundle } from '../types.js';
import { accessOf, ensureAllowed, notePatients } from './authorize.js';
import { FHIR_JSON, type FhirRequest, type FhirResponse, type RouterContext } from './context.js';
import { pageLinks } from './search-handler.js';

/** _history at instance, type or system level, newest first, paged with _count/_offset. */
export async function history(ctx: RouterContext, req: FhirRequest, scope: HistoryScope): Promise<FhirResponse> {
  for (const key of req.query.keys()) {
    if (!['_count', '_offset', '_since', '_format', '_pretty'].includes(key))
      throw badRequest(`history does not support ${key}`, key);
  }
  const count = Math.min(int(req.query.get('_count'), ctx.defaultCount, '_count'), ctx.maxCount);
  const offset = int(req.query.get('_offset'), 0, '_offset');
  const sinceText = req.query.get('_since');
  const since = sinceText === null ? undefined : dateRange(sinceText)?.low;
  if (sinceText !== null && since === undefined)
    throw badRequest(`_since=${sinceText} is not a FHIR instant`, '_since');
  const page = await ctx.repo.history(scope, { count, offset, since });
  if (req.principal && scope.resourceType && scope.id) {
    // Instance history: every version shown must be within the token's reach (type and system history need unrestricted scopes).
    const access = accessOf(req, scope.resourceType, 'r');
    for (const e of page.entries) {
      if (!e.resource) continue;
      await ensureAllowed(ctx, access, e.resource, 'read');
      notePatients(ctx, req, e.resource);
    }
  }
  const path = [scope.resourceType, scope.id, '_history'].filter(Boolean).join('/');
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'history',
    total: page.total,
    link: pageLinks(`${ctx.baseUrl}/${path}`, req.query, offset, count, page.entries.length, page.total),
    entry: page.entries.map((e) => ({
      fullUrl: `${ctx.baseUrl}/${e.resourceType}/${e.id}`,
      ...(e.resource ? { resource: e.resource } : {}),
      request: { method: e.method, url: e.method === 'POST' ? e.resourceType : `${e.resourceType}/${e.id}` },
      response: {
        status: e.method === 'POST' ? '201 Created' : e.method === 'DELETE' ? '204 No Content' : '200 OK',
        etag: `W/"${e.versionId}"`,
        lastModified: e.lastUpdated,
      },
    })),
  };
  return { status: 200, headers: { 'content-type': FHIR_JSON }, body: bundle };
}

function int(text: string | null, fallback: number, name: string): number {
  if (text === null) return fallback;
  if (!/^\d{1,9}$/.test(text)) throw badRequest(`${name}=${text} is not a non-negative integer`, name);
  return Number(text);
}
