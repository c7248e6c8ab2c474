import type { Coding } from '../../fhir/types.js';

export const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
export const AUDIT_EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
export const RESTFUL_INTERACTION = 'http://hl7.org/fhir/restful-interaction';
export const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
export const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
export const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
export const BALP_ENTITY_TYPE = 'https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType';
export const IHE_EVENT_TYPE = 'urn:ihe:event-type-code';
/** Our own codes (subtypes without a standard code, roles, AE titles): one namespace. */
export const LOCAL = 'urn:imaging-bridge:audit';
export const LOCAL_ROLE = 'urn:imaging-bridge:role';
export const LOCAL_AE_TITLE = 'urn:imaging-bridge:dicom-ae-title';
export const URI_SYSTEM = 'urn:ietf:rfc:3986';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';

/**
 * Deep-frozen: the constants every record repeats cannot be changed by a builder, and their
 * canonical text is written once per process (canonical-json.ts).
 */
export function frozen<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) frozen(v);
    Object.freeze(value);
  }
  return value;
}

const dcm = (code: string, display: string): Coding => frozen({ system: DCM, code, display });

export const REST: Coding = frozen({ system: AUDIT_EVENT_TYPE, code: 'rest', display: 'RESTful Operation' });
export const SOURCE_ROLE = dcm('110153', 'Source Role ID');
export const DESTINATION_ROLE = dcm('110152', 'Destination Role ID');
export const INFORMATION_RECIPIENT: Coding = frozen({
  system: PARTICIPATION_TYPE,
  code: 'IRCP',
  display: 'information recipient',
});
export const STUDY_INSTANCE_UID = dcm('110180', 'Study Instance UID');
export const SOP_CLASS_UID = dcm('110181', 'SOP Class UID');

export const DICOM_EVENTS = {
  query: dcm('110112', 'Query'),
  'instances-accessed': dcm('110103', 'DICOM Instances Accessed'),
  'instances-transferred': dcm('110104', 'DICOM Instances Transferred'),
  import: dcm('110107', 'Import'),
  delete: dcm('110105', 'DICOM Study Deleted'),
} as const;

export const EXPORT = dcm('110106', 'Export');
export const USER_AUTHENTICATION = dcm('110114', 'User Authentication');
export const LOGIN = dcm('110122', 'Login');
export const LOGOUT = dcm('110123', 'Logout');
export const SECURITY_ALERT = dcm('110113', 'Security Alert');
export const SECURITY_CONFIGURATION = dcm('110129', 'Security Configuration');
export const NODE_AUTHENTICATION = dcm('110126', 'Node Authentication');
export const GET_ACCESS_TOKEN: Coding = frozen({
  system: IHE_EVENT_TYPE,
  code: 'ITI-71',
  display: 'Get Access Token',
});

export const entityType = frozen({
  person: { system: ENTITY_TYPE, code: '1', display: 'Person' },
  systemObject: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
  requestId: { system: BALP_ENTITY_TYPE, code: 'XrequestId', display: 'X-Request-Id' },
} satisfies Record<string, Coding>);

export const objectRole = frozen({
  patient: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
  report: { system: OBJECT_ROLE, code: '3', display: 'Report' },
  domainResource: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
  securityUser: { system: OBJECT_ROLE, code: '11', display: 'Security User Entity' },
  securityResource: { system: OBJECT_ROLE, code: '13', display: 'Security Resource' },
  query: { system: OBJECT_ROLE, code: '24', display: 'Query' },
} satisfies Record<string, Coding>);

export const local = (code: string, display?: string): Coding => ({
  system: LOCAL,
  code,
  ...(display ? { display } : {}),
});
