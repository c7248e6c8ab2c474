import type { AuditEvent } from '../types.js';
import type { AccessRecord, DicomAccess } from './access-record.js';
import { requestAgents } from './agents.js';
import { DICOM_EVENTS, local } from './codes.js';
import { patientEntity, queryEntity, studyEntity, type Entity } from './entities.js';
import { auditEvent, patientEntities, perPatient } from './event.js';

const C_FIND_STUDY_ROOT = '1.2.840.10008.5.1.4.1.2.2.1';

/** Received instances are created here; sent or served ones are read. */
function action(a: DicomAccess): 'C' | 'R' | 'D' | 'E' {
  switch (a.event) {
    case 'query':
      return 'E';
    case 'import':
      return 'C';
    case 'delete':
      return 'D';
    case 'instances-accessed':
      return 'R';
    case 'instances-transferred':
      return a.service === 'C-STORE' || a.service === 'STOW-RS' ? 'C' : 'R';
  }
}

/**
 * DICOM audit events (PS3.15 A.5.3) in FHIR form: DCM event type, the studies by Study Instance
 * UID, the query base64, the calling and called AE titles for DIMSE.
 */
export function dicomEvents(r: AccessRecord, a: DicomAccess): AuditEvent[] {
  const agents = requestAgents(r, {
    callingAet: a.callingAet,
    calledAet: a.calledAet ?? (a.transport === 'dimse' ? r.server.aeTitle : undefined),
  });
  if (a.moveDestinationAet)
    agents.push({
      type: { coding: [local('move-destination', 'C-MOVE destination')] },
      who: { identifier: { system: 'urn:imaging-bridge:dicom-ae-title', value: a.moveDestinationAet } },
      altId: a.moveDestinationAet,
      requestor: false,
    });
  // Built once and shared by the events of every patient (written once by canonicalJsonAll).
  const shared: Entity[] = a.studyUids.map((uid) => studyEntity(uid, a.sopClassUids));
  if (a.query !== undefined) shared.push(queryEntity(a.query, a.service === 'C-FIND' ? C_FIND_STUDY_ROOT : undefined));
  const subtype = [local(a.service ?? a.transport)];
  // A query is a list read: one event naming every patient it showed (see patientEntities).
  if (a.event === 'query')
    return [
      auditEvent(r, {
        type: DICOM_EVENTS.query,
        subtype,
        action: 'E',
        entities: [...patientEntities(a.patientIds), ...shared],
        agents,
      }),
    ];
  return perPatient(a.patientIds, (patientId) =>
    auditEvent(r, {
      type: DICOM_EVENTS[a.event],
      subtype,
      action: action(a),
      entities: patientId ? [patientEntity(patientId), ...shared] : shared,
      agents,
    }),
  );
}
