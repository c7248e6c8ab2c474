import type { AuditEvent } from '../types.js';
import type { AccessRecord, AiResultsAccess, ContextAccess } from './access-record.js';
import { REST, RESTFUL_INTERACTION, local } from './codes.js';
import { patientEntity, resourceEntity, studyEntity, type Entity } from './entities.js';
import { auditEvent } from './event.js';

/**
 * The patient-context API (rest / urn:imaging-bridge:audit#patient-context / E), recorded at
 * the HTTP edge like every other access;
 * the sections served (and left out) are described on the patient entity.
 */
export function contextEvent(r: AccessRecord, a: ContextAccess): AuditEvent {
  const described = `sections: ${a.sections.join(', ')}${a.omitted?.length ? `; left out: ${a.omitted.join(', ')}` : ''}`;
  return auditEvent(r, {
    type: REST,
    subtype: [local('patient-context', 'GET /api/context')],
    action: 'E',
    entities: [{ ...patientEntity(a.patientId), description: described }],
  });
}

/** AI results write-back: a create of the DiagnosticReport (and its Observations) about one study. */
export function aiResultsEvent(r: AccessRecord, a: AiResultsAccess): AuditEvent {
  const entities: Entity[] = [];
  if (a.patientId) entities.push(patientEntity(a.patientId));
  if (a.diagnosticReportId) entities.push(resourceEntity(`DiagnosticReport/${a.diagnosticReportId}`));
  entities.push(studyEntity(a.studyUid));
  return auditEvent(r, {
    type: REST,
    subtype: [{ system: RESTFUL_INTERACTION, code: 'create' }, local('ai-results', 'POST /api/ai-results')],
    action: 'C',
    entities,
  });
}
