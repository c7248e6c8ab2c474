import type { Coding } from '../../fhir/types.js';
import type { AuditEvent } from '../types.js';
import type { AccessRecord, FhirAccess, FhirInteraction } from './access-record.js';
import { REST, RESTFUL_INTERACTION, local } from './codes.js';
import { patientEntity, queryEntity, resourceEntity, type Entity } from './entities.js';
import { auditEvent, patientEntities, perPatient } from './event.js';

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

/** Searches and type/system history: list reads, one event whatever the number of patients shown. */
const isListRead = (a: FhirAccess) =>
  a.interaction === 'search-type' || a.interaction === 'search-system' || (a.interaction === 'history' && !a.id);

/** BALP Read / Query / Create / Update / Delete events of the FHIR REST API (subtype restful-interaction). */
export function fhirRestEvents(r: AccessRecord, a: FhirAccess): AuditEvent[] {
  const ref = target(a);
  const subtypes: Coding[] = [subtype(a), ...(a.operation ? [local(a.operation)] : [])];
  if (isListRead(a)) {
    const entities = [...patientEntities(a.patientIds), ...(a.query ? [queryEntity(a.query)] : [])];
    return [auditEvent(r, { type: REST, subtype: subtypes, action: ACTION[a.interaction], entities })];
  }
  // Reading Patient/x: the patient entity is the resource; no second entity for the same thing.
  const patients = a.resourceType === 'Patient' && a.id ? [a.id, ...(a.patientIds ?? [])] : a.patientIds;
  // Shared by the events of every patient (written once by canonicalJsonAll).
  const query = a.query ? queryEntity(a.query) : undefined;
  return perPatient(patients, (patientId) => {
    const entities: Entity[] = [];
    if (patientId) entities.push(patientEntity(patientId));
    if (ref && !(a.resourceType === 'Patient' && a.id === patientId && a.interaction !== 'vread'))
      entities.push(resourceEntity(ref));
    if (query) entities.push(query);
    return auditEvent(r, { type: REST, subtype: subtypes, action: ACTION[a.interaction], entities });
  });
}
