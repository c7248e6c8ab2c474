import { DICOM_UID_SYSTEM, SOP_CLASS_UID, STUDY_INSTANCE_UID, entityType, objectRole } from './codes.js';

export type Entity = Record<string, unknown>;

export const patientEntity = (patientId: string): Entity => ({
  what: { reference: `Patient/${patientId}` },
  type: entityType.person,
  role: objectRole.patient,
});

/** The resource read or written (audit-entity-type 2, object-role 4). */
export const resourceEntity = (reference: string): Entity => ({
  what: { reference },
  type: entityType.systemObject,
  role: objectRole.domainResource,
});

/** The search as asked (role 24, base64); `sopClass` for a C-FIND (DICOM: the query's SOP Class). */
export const queryEntity = (query: string, sopClass?: string): Entity => ({
  ...(sopClass
    ? {
        what: {
          identifier: { type: { coding: [SOP_CLASS_UID] }, system: DICOM_UID_SYSTEM, value: `urn:oid:${sopClass}` },
        },
      }
    : {}),
  type: entityType.systemObject,
  role: objectRole.query,
  query: Buffer.from(query, 'utf8').toString('base64'),
});

/** A study (DICOM: participant object "Report", ID type 110180 Study Instance UID). */
export const studyEntity = (uid: string, sopClassUids: readonly string[] = []): Entity => ({
  what: { identifier: { type: { coding: [STUDY_INSTANCE_UID] }, system: DICOM_UID_SYSTEM, value: `urn:oid:${uid}` } },
  type: entityType.systemObject,
  role: objectRole.report,
  ...(sopClassUids.length ? { detail: sopClassUids.map((uid) => ({ type: 'SOPClass', valueString: uid })) } : {}),
});

/** BALP: the request id, to find the application log lines of the same request. */
export const transactionEntity = (requestId: string): Entity => ({
  what: { identifier: { value: requestId } },
  type: entityType.requestId,
});
