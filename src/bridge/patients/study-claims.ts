/**
 * The embedded FHIR router's guard on ImagingStudy writes by clients: an ImagingStudy that
 * names a StudyInstanceUID (identifier urn:dicom:uid) the bridge has linked to a Patient
 * (study-links.ts) must have that Patient as its subject. Anything else is refused with 422
 * (business-rule): the archive's DICOM says whose study it is, and only a correction of the
 * DICOM (which the bridge then follows) changes that — not a FHIR write, whoever sends it.
 * Writes without a principal (the bridge, the service's own writers) are not checked: the
 * bridge is what records the links.
 */
import { OperationOutcomeError, outcome } from '../../core/errors.js';
import type { FhirResource } from '../../fhir/types.js';
import type { Principal } from '../../auth/principal.js';
import { patientIdOf } from '../sync/fhir-writes.js';
import { DICOM_UID_SYSTEM } from '../mapping/systems.js';
import type { StudyLinkStore } from './study-links.js';

/** Study Instance UIDs an ImagingStudy names (identifier system urn:dicom:uid; `urn:oid:` prefix optional). */
export function claimedStudyUids(resource: FhirResource): string[] {
  const ids = Array.isArray(resource.identifier) ? (resource.identifier as unknown[]) : [];
  const out: string[] = [];
  for (const id of ids) {
    if (!id || typeof id !== 'object') continue;
    const { system, value } = id as { system?: unknown; value?: unknown };
    if (system === DICOM_UID_SYSTEM && typeof value === 'string') out.push(value.trim().replace(/^urn:oid:/, ''));
  }
  return out;
}

export function guardStudyClaims(links: Pick<StudyLinkStore, 'ownerOf'>) {
  return async (
    resource: FhirResource,
    req: { principal?: Principal; record?: { patientIds: string[] } },
  ): Promise<FhirResource> => {
    if (resource.resourceType !== 'ImagingStudy' || !req.principal) return resource;
    const subject = patientIdOf((resource.subject as { reference?: string } | undefined)?.reference);
    for (const uid of claimedStudyUids(resource)) {
      const owner = await links.ownerOf(uid);
      if (owner !== undefined && owner !== subject) {
        // The refusal's audit record names both patients: the one written for and the study's.
        for (const id of [subject, owner])
          if (id !== undefined && req.record && !req.record.patientIds.includes(id)) req.record.patientIds.push(id);
        throw new OperationOutcomeError(
          422,
          outcome(
            'error',
            'business-rule',
            'this StudyInstanceUID belongs to another Patient in the archive: an ImagingStudy naming it must have that Patient as its subject',
            'ImagingStudy.identifier',
          ),
        );
      }
    }
    return resource;
  };
}
