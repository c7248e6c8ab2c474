/** Code system and identifier URIs the mapping writes, in one place. */
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
export const RFC3986_SYSTEM = 'urn:ietf:rfc:3986';
export const DCM_SYSTEM = 'http://dicom.nema.org/resources/ontology/DCM';
export const SNOMED_SYSTEM = 'http://snomed.info/sct';
export const LOINC_SYSTEM = 'http://loinc.org';
export const RADLEX_SYSTEM = 'http://www.radlex.org';
export const V2_0203_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const PARTICIPATION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const ENDPOINT_CONNECTION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/endpoint-connection-type';
export const DATA_ABSENT_REASON_URL = 'http://hl7.org/fhir/StructureDefinition/data-absent-reason';
export const NAME_REPRESENTATION_URL = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

/** `urn:oid:` form of a DICOM UID, as FHIR expects in identifiers and sopClass codes. */
export const urnOid = (uid: string): string => `urn:oid:${uid}`;
