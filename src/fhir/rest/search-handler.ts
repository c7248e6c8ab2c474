import { parseSearch } from '../search/parse-search.js';
import type { Bundle, BundleEntry, BundleLink, FhirResource } from '../types.js';
import { accessConditions, accessOf, authorizeChains, noteSearchPatients, visibleIncluded } from './authorize.js';
import { formBody } from './body.js';
import { FHIR_JSON, type FhirRequest, type FhirResponse, type RouterContext } from './context.js';
import { selectElements } from './elements.js';

/** GET [type]?… and POST [type]/_search: a searchset Bundle with total, fullUrls and paging links. */
export async function search(ctx: RouterContext, req: FhirRequest, type: string): Promise<FhirResponse> {
  const query = new URLSearchParams(req.query);
  if (req.method === 'POST') for (const [k, v] of formBody(req)) query.append(k, v);
  const { request, summaryCount, elements } = parseSearch(ctx.registry, type, query, {
    defaultCount: ctx.defaultCount,
    maxCount: ctx.maxCount,
    baseUrl: ctx.baseUrl,
  });
  if (req.principal) {
    // Chains only reach what the token may search; the scopes' patient compartment and query suffixes are ANDed into the search.
    request.conditions = authorizeChains(ctx, req, request.conditions);
    request.conditions.push(...accessConditions(ctx, type, accessOf(req, type, 's')));
    if (req.method === 'POST' && req.record) req.record.query = query.toString();
    noteSearchPatients(req, request);
  }
  const result = await ctx.repo.search(request);
  const included = visibleIncluded(ctx, req.principal, result.included);
  const entry: BundleEntry[] = [
    ...result.resources.map((r) => ({
      fullUrl: fullUrl(ctx, r),
      resource: elements ? selectElements(r, elements) : r,
      search: { mode: 'match' as const },
    })),
    ...included.map((r) => ({ fullUrl: fullUrl(ctx, r), resource: r, search: { mode: 'include' as const } })),
  ];
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset' };
  if (result.total !== undefined) bundle.total = result.total;
  if (!summaryCount) {
    bundle.link = pageLinks(
      `${ctx.baseUrl}/${type}`,
      query,
      request.offset,
      request.count,
      result.resources.length,
      result.total,
    );
    bundle.entry = entry;
  }
  return { status: 200, headers: { 'content-type': FHIR_JSON }, body: bundle };
}

export function fullUrl(ctx: RouterContext, r: FhirResource): string {
  return `${ctx.baseUrl}/${r.resourceType}/${r.id}`;
}

/** self, next and previous as GET URLs with _count and _offset (offset paging over a stable sort). */
export function pageLinks(
  base: string,
  query: URLSearchParams,
  offset: number,
  count: number,
  returned: number,
  total?: number,
): BundleLink[] {
  const at = (o: number) => {
    const q = new URLSearchParams(query);
    q.delete('_offset');
    q.set('_count', String(count));
    if (o > 0) q.set('_offset', String(o));
    // URLSearchParams writes a space as '+', which our query reader (RFC 3986) takes literally.
    return `${base}?${q.toString().replace(/\+/g, '%20')}`;
  };
  const links: BundleLink[] = [{ relation: 'self', url: at(offset) }];
  const more = total !== undefined ? offset + returned < total : returned === count && count > 0;
  if (more) links.push({ relation: 'next', url: at(offset + count) });
  if (offset > 0) links.push({ relation: 'previous', url: at(Math.max(0, offset - count)) });
  return links;
}
