import { badRequest, preconditionFailed } from '../../core/errors.js';
import type { FhirResource } from '../types.js';
import { ID_PATTERN } from './repository.js';

/** Rules every FhirRepository implementation applies to ids, versions and meta. */
export function checkId(id: string): string {
  if (!ID_PATTERN.test(id)) throw badRequest(`"${id.slice(0, 80)}" is not a valid FHIR id ([A-Za-z0-9-.]{1,64})`, 'id');
  return id;
}

/** If-Match: `current` is the current versionId, undefined when the resource is absent or deleted. */
export function checkVersion(current: string | undefined, ifMatch: string | undefined, what: string): void {
  if (ifMatch === undefined) return;
  if (current !== ifMatch) throw preconditionFailed(`${what} is at version ${current ?? '(none)'}, not ${ifMatch}`);
}

/** The stored form: resourceType, id and meta first, server-owned meta fields replaced. */
export function withMeta(resource: FhirResource, id: string, version: number, time: number): FhirResource {
  const { resourceType, id: _ignored, meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...keptMeta } = meta ?? {};
  return {
    resourceType,
    id,
    meta: { ...keptMeta, versionId: String(version), lastUpdated: new Date(time).toISOString() },
    ...rest,
  };
}
