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
