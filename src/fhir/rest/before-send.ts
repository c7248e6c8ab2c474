import type { FhirResource } from '../types.js';
import type { FhirRequest, FhirResponse } from './context.js';

export type BeforeSend = (resource: FhirResource, req: FhirRequest) => FhirResource;

/**
 * A response as it leaves the router: `beforeSend` applied to its resource and to every resource
 * inside it (Bundle entries of searches, histories, includes and batch/transaction responses,
 * nested Bundles, Parameters of operations), so no way out of the server skips it.
 */
export function outgoing(res: FhirResponse, req: FhirRequest, beforeSend: BeforeSend): FhirResponse {
  return res.body ? { ...res, body: walk(res.body, req, beforeSend) } : res;
}

function walk(resource: FhirResource, req: FhirRequest, beforeSend: BeforeSend): FhirResource {
  const out = beforeSend(resource, req);
  const list = out.resourceType === 'Bundle' ? 'entry' : out.resourceType === 'Parameters' ? 'parameter' : undefined;
  const items = list ? out[list] : undefined;
  if (!list || !Array.isArray(items)) return out;
  let changed = false;
  const next = (items as { resource?: FhirResource }[]).map((item) => {
    if (!item?.resource) return item;
    const inner = walk(item.resource, req, beforeSend);
    if (inner === item.resource) return item;
    changed = true;
    return { ...item, resource: inner };
  });
  return changed ? { ...out, [list]: next } : out;
}
