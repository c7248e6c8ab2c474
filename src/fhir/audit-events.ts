import { badRequest } from '../core/errors.js';
import type { FhirRepository } from './repository/repository.js';
import type { FhirResource } from './types.js';
import { validateFhirResource } from './validate.js';

/**
 * The only way AuditEvents are written: by the service itself (the REST API answers 405 to
 * writes). Validated like any write; returns the stored event.
 */
export async function recordAuditEvent(repo: FhirRepository, event: FhirResource): Promise<FhirResource> {
  if (event.resourceType !== 'AuditEvent')
    throw badRequest(`recordAuditEvent takes an AuditEvent, not ${event.resourceType}`, 'resourceType');
  validateFhirResource(event);
  return repo.create(event);
}
