import { getJson } from './http';

const FHIR = 'application/fhir+json';

export interface PatientHit {
  id: string;
  name: string;
  birthDate?: string;
  gender?: string;
  identifiers: { system?: string; value?: string }[];
}

interface Bundle<T> {
  entry?: { resource?: T; search?: { mode?: string } }[];
}
interface Patient {
  resourceType: 'Patient';
  id: string;
  name?: { text?: string; family?: string; given?: string[] }[];
  birthDate?: string;
  gender?: string;
  identifier?: { system?: string; value?: string }[];
}

export async function fhirSearch<T>(type: string, params: Record<string, string>): Promise<T[]> {
  const bundle = await getJson<Bundle<T & { resourceType?: string }>>(
    `/fhir/${type}?${new URLSearchParams(params)}`,
    FHIR,
  );
  return (bundle.entry ?? [])
    .filter((e) => e.search?.mode !== 'include' && e.resource?.resourceType === type)
    .map((e) => e.resource as T);
}

export function nameOf(p: Pick<Patient, 'name'>): string {
  const n = p.name?.[0];
  if (!n) return '(no name)';
  return n.text ?? [...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

const hit = (p: Patient): PatientHit => ({
  id: p.id,
  name: nameOf(p),
  birthDate: p.birthDate,
  gender: p.gender,
  identifiers: p.identifier ?? [],
});

const DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;
const UID = /^\d+(\.\d+){2,}$/;

/**
 * One search box: a date is a birth date, a dotted number a Study Instance UID; anything else is
 * tried as a name prefix (FHIR string search: case- and accent-insensitive), an identifier (MRN
 * or any other) and an accession number, and the patients found are merged.
 */
export async function searchPatients(q: string): Promise<PatientHit[]> {
  const term = q.trim();
  if (!term) return [];
  const found: Patient[][] = [];
  if (DATE.test(term)) found.push(await fhirSearch<Patient>('Patient', { birthdate: term, _count: '50' }));
  else if (UID.test(term)) found.push(await patientsOfStudies({ identifier: `urn:dicom:uid|urn:oid:${term}` }));
  else {
    const [byName, byId, byAccession] = await Promise.all([
      fhirSearch<Patient>('Patient', { name: term, _count: '50' }),
      fhirSearch<Patient>('Patient', { identifier: term, _count: '50' }),
      patientsOfStudies({ identifier: term }),
    ]);
    found.push(byId, byAccession, byName);
  }
  const seen = new Map<string, PatientHit>();
  for (const p of found.flat()) if (!seen.has(p.id)) seen.set(p.id, hit(p));
  return [...seen.values()];
}

/** Patients of the ImagingStudies matching (accession numbers and Study Instance UIDs are study identifiers). */
async function patientsOfStudies(params: Record<string, string>): Promise<Patient[]> {
  const studies = await fhirSearch<{ subject?: { reference?: string } }>('ImagingStudy', {
    ...params,
    _count: '20',
  }).catch(() => []);
  const ids = [...new Set(studies.map((s) => s.subject?.reference?.split('/')[1]).filter((x): x is string => !!x))];
  if (ids.length === 0) return [];
  return fhirSearch<Patient>('Patient', { _id: ids.join(','), _count: '50' });
}
