import type { Coding } from '../../fhir/types.js';
import type { AuditEvent } from '../types.js';
import type { AccessRecord, FhirAccess, FhirInteraction } from './access-record.js';
import { REST, RESTFUL_INTERACTION, local } from './codes.js';
import { patientEntity, queryEntity, resourceEntity, type Entity } from './entities.js';
import { auditEvent, perPatient } from './event.js';

const ACTION: Record<FhirInteraction, 'C' | 'R' | 'U' | 'D' | 'E'> = {
  read: 'R',
  vread: 'R',
  history: 'R',
  capabilities: 'R',
  'search-type': 'E',
  'search-system': 'E',
  batch: 'E',
  transaction: 'E',
  operation: 'E',
  create: 'C',
  update: 'U',
  patch: 'U',
  delete: 'D',
};

/** restful-interaction code: history splits by level. */
function subtype(a: FhirAccess): Coding {
  const code =
    a.interaction !== 'history'
      ? a.interaction
      : a.id
        ? 'history-instance'
        : a.resourceType
          ? 'history-type'
          : 'history-system';
  return { system: RESTFUL_INTERACTION, code };
}

function target(a: FhirAccess): string | undefined {
  if (!a.resourceType || !a.id) return undefined;
  return `${a.resourceType}/${a.id}${a.interaction === 'vread' && a.versionId ? `/_history/${a.versionId}` : ''}`;
}

/** BALP Read / Query / Create / Update / Delete events of the FHIR REST API (subtype restful-interaction). */
export function fhirRestEvents(r: AccessRecord, a: FhirAccess): AuditEvent[] {
  const ref = target(a);
  // Reading Patient/x: the patient entity is the resource; no second entity for the same thing.
  const patients = a.resourceType === 'Patient' && a.id ? [a.id, ...(a.patientIds ?? [])] : a.patientIds;
  // Shared by the events of every patient (written once by canonicalJsonAll).
  const query = a.query ? queryEntity(a.query) : undefined;
  const subtypes: Coding[] = [subtype(a), ...(a.operation ? [local(a.operation)] : [])];
  return perPatient(patients, (patientId) => {
    const entities: Entity[] = [];
    if (patientId) entities.push(patientEntity(patientId));
    if (ref && !(a.resourceType === 'Patient' && a.id === patientId && a.interaction !== 'vread'))
      entities.push(resourceEntity(ref));
    if (query) entities.push(query);
    return auditEvent(r, { type: REST, subtype: subtypes, action: ACTION[a.interaction], entities });
  });
}
