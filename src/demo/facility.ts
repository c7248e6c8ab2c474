import type { FhirResource } from '../fhir/types.js';
import { LOCATION_TYPE } from './codes.js';
import { FACILITY_SYSTEM, TEST_DATA_LABEL, urnFor } from './identifiers.js';
import type { DemoEntry } from './types.js';

export type LocationKey = 'ed' | 'icu' | 'strokeUnit' | 'ward' | 'oncology' | 'radiology';
export type PractitionerKey = 'emergency' | 'neurologist' | 'oncologist' | 'internist' | 'radiologist';

/** The urn:uuid under which patient records refer to a facility resource (the loader swaps in the stored id). */
export const facilityUrn = (key: string): string => urnFor(`facility|${key}`);

const LOCATIONS: Record<LocationKey, { name: string; type: (typeof LOCATION_TYPE)[keyof typeof LOCATION_TYPE] }> = {
  ed: { name: 'Emergency Department', type: LOCATION_TYPE.er },
  icu: { name: 'Intensive Care Unit', type: LOCATION_TYPE.icu },
  strokeUnit: { name: 'Stroke Unit (Ward 4B)', type: LOCATION_TYPE.ward },
  ward: { name: 'Internal Medicine Ward 3A', type: LOCATION_TYPE.ward },
  oncology: { name: 'Oncology Outpatient Clinic', type: LOCATION_TYPE.oncology },
  radiology: { name: 'Radiology Department', type: LOCATION_TYPE.radiology },
};

const PRACTITIONERS: Record<PractitionerKey, { family: string; given: string }> = {
  emergency: { family: 'Okafor', given: 'Nadia' },
  neurologist: { family: 'Lindqvist', given: 'Henrik' },
  oncologist: { family: 'Moreau', given: 'Camille' },
  internist: { family: 'Tanaka', given: 'Kenji' },
  radiologist: { family: 'Alvarez', given: 'Lucia' },
};

/** "Doe^Jane" for DICOM ReferringPhysicianName. */
export function practitionerDicomName(key: PractitionerKey): string {
  const p = PRACTITIONERS[key];
  return `${p.family}^${p.given}`;
}

export function facilityEntries(): DemoEntry[] {
  const entry = (key: string, resource: FhirResource): DemoEntry => {
    const identifier = { system: FACILITY_SYSTEM, value: key };
    return {
      fullUrl: facilityUrn(key),
      key: identifier,
      resource: { ...resource, meta: { security: [TEST_DATA_LABEL] }, identifier: [identifier] },
    };
  };
  const org = { reference: facilityUrn('org') };
  return [
    entry('org', { resourceType: 'Organization', active: true, name: 'Example General Hospital (synthetic demo)' }),
    ...Object.entries(LOCATIONS).map(([key, l]) =>
      entry(`loc-${key}`, {
        resourceType: 'Location',
        status: 'active',
        mode: 'instance',
        name: l.name,
        type: [{ coding: [l.type] }],
        managingOrganization: org,
      }),
    ),
    ...Object.entries(PRACTITIONERS).map(([key, p]) =>
      entry(`pract-${key}`, {
        resourceType: 'Practitioner',
        active: true,
        name: [{ family: p.family, given: [p.given], prefix: ['Dr.'] }],
      }),
    ),
  ];
}

export const locationRef = (key: LocationKey) => ({ reference: facilityUrn(`loc-${key}`) });
export const practitionerRef = (key: PractitionerKey) => ({ reference: facilityUrn(`pract-${key}`) });
