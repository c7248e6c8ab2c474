import { createHash } from 'node:crypto';

/**
 * Identifier systems and UID roots of the synthetic hospital. `.example` is reserved (RFC 2606):
 * nothing here can be mistaken for a real institution's namespace.
 */
export const MRN_SYSTEM = 'http://hospital.example/fhir/sid/mrn';
export const ACCESSION_SYSTEM = 'http://hospital.example/fhir/sid/accession';
/** Every other demo resource carries `DEMO_SYSTEM|<mrn>-<label>`: its conditional-create key. */
export const DEMO_SYSTEM = 'http://hospital.example/fhir/sid/demo';
export const FACILITY_SYSTEM = 'http://hospital.example/fhir/sid/facility';
/** Local order codes (a hospital's own procedure catalogue). */
export const ORDER_CODE_SYSTEM = 'http://hospital.example/fhir/CodeSystem/imaging-procedure';
export const FLAG_CODE_SYSTEM = 'http://hospital.example/fhir/CodeSystem/flag';

/** DICOM IssuerOfPatientID; its qualifier carries MRN_SYSTEM as a URI so the bridge maps PatientID to it without configuration. */
export const DICOM_ISSUER = 'HOSPITAL_EXAMPLE';
/** Below the project's root (…1456.1 implementation, .9 benchmark, .88 tests): .7 = demo data. */
export const DEMO_UID_ROOT = '1.2.826.0.1.3680043.10.1456.7';

/** v3 ActReason HTEST: marks every demo resource as test data. */
export const TEST_DATA_LABEL = {
  system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  code: 'HTEST',
  display: 'test health data',
};

/** A stable urn:uuid for a label (name-based, SHA-1 like UUID v5): the same dataset gives the same Bundles. */
export function urnFor(label: string): string {
  const h = createHash('sha1').update(`imaging-bridge-demo|${label}`).digest('hex');
  const variant = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16);
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
