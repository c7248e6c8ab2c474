/** Public API of the DICOM → FHIR R4 mapping (pure functions). */
export type * from './fhir-types.js';
export { mapImagingStudy, type ImagingStudyContext, type MappedImagingStudy } from './imaging-study.js';
export { mergeImagingStudy } from './merge-imaging-study.js';
export { mapPatient, patientIdentifierSystem, type PatientContext } from './patient.js';
export { mapEndpoint, dicomWebBase } from './endpoint.js';
export { isValidTimezone } from './timezone.js';
export { DICOM_UID_SYSTEM, urnOid } from './systems.js';
