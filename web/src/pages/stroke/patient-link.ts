import { ApiError, getJson } from '../../api/http';

type Identifier = { system?: string; value?: string };

/**
 * Where a run's patient opens. The run names OUR Patient (the study's subject); with an external
 * EHR the patient view takes the EHR's id, which only the record server knows: so the link goes
 * by identifier (`/stroke/patient?identifier=system|value…`, resolved by openPatientByIdentifier),
 * which finds the right patient with the embedded record too. Without a usable identifier: our id.
 */
export function patientHref(p: { id: string; identifier: Identifier[] }): string {
  const q = new URLSearchParams();
  for (const i of p.identifier) if (i.system && i.value) q.append('identifier', `${i.system}|${i.value}`);
  return q.size ? `/stroke/patient?${q}` : `/patients/${encodeURIComponent(p.id)}`;
}

/**
 * The record server's Patient id for these identifiers, tried in order: the first that names
 * exactly one patient the caller may see wins (the context API answers 404 for none, 409 for
 * several); the last refusal otherwise. One context read of the smallest section (flags).
 */
export async function openPatientByIdentifier(identifiers: string[]): Promise<string> {
  let last: unknown = new ApiError(400, 'no patient identifier to look for');
  for (const identifier of identifiers) {
    const q = new URLSearchParams({ identifier, include: 'flags' });
    try {
      return (await getJson<{ patient: { id: string } }>(`/api/context?${q}`)).patient.id;
    } catch (e) {
      if (!(e instanceof ApiError) || (e.status !== 404 && e.status !== 409)) throw e;
      last = e;
    }
  }
  throw last;
}

/**
 * A study opened from a run: the study page's "Back to the patient" link needs the patient too,
 * and our id does not open it with an external EHR. So the identifiers ride along
 * (`identifier=system|value…`), and `patient=` (our id) stays the fallback.
 */
export function studyHref(studyUid: string, p?: { id: string; identifier: Identifier[] } | null): string {
  const q = new URLSearchParams();
  if (p) {
    q.set('patient', p.id);
    for (const i of p.identifier) if (i.system && i.value) q.append('identifier', `${i.system}|${i.value}`);
  }
  return `/studies/${encodeURIComponent(studyUid)}${q.size ? `?${q}` : ''}`;
}

/** The study page's link back to its patient: by identifier when it has some, else by the id it was given. */
export function backToPatientHref(query: URLSearchParams): string | undefined {
  const identifiers = query.getAll('identifier');
  if (identifiers.length) {
    const q = new URLSearchParams();
    for (const i of identifiers) q.append('identifier', i);
    return `/stroke/patient?${q}`;
  }
  const patient = query.get('patient');
  return patient ? `/patients/${encodeURIComponent(patient)}` : undefined;
}
