/** `GET /api/oncology/summary` query → a validated request; every problem a 400 naming the parameter. */
import { badRequest } from '../../core/errors.js';
import { ID_PATTERN } from '../../fhir/repository/repository.js';

export interface OncologyRequest {
  patient: { id: string } | { identifier: { system: string; value: string } };
  baseline?: string;
  since?: string;
  question?: string;
}

const KNOWN = new Set(['patient', 'identifier', 'baseline', 'since', 'question']);
const UID = /^[0-2](\.(0|[1-9]\d*))+$/;
const DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;
export const MAX_QUESTION = 1000;

export function parseOncologyQuery(query: URLSearchParams): OncologyRequest {
  for (const name of new Set(query.keys())) {
    if (!KNOWN.has(name)) throw badRequest(`unknown parameter "${name}" (known: ${[...KNOWN].join(', ')})`, name);
    if (query.getAll(name).length > 1) throw badRequest(`parameter "${name}" is given more than once`, name);
  }
  const id = query.get('patient');
  const identifier = query.get('identifier');
  if ((id === null) === (identifier === null))
    throw badRequest(
      'give exactly one of "patient" (a Patient id) or "identifier" (system|value)',
      id === null ? 'patient' : 'identifier',
    );
  let patient: OncologyRequest['patient'];
  if (id !== null) {
    if (!ID_PATTERN.test(id))
      throw badRequest('"patient" is not a FHIR id (letters, digits, - and ., at most 64)', 'patient');
    patient = { id };
  } else {
    const bar = identifier!.indexOf('|');
    const system = bar < 0 ? '' : identifier!.slice(0, bar);
    const value = bar < 0 ? '' : identifier!.slice(bar + 1);
    if (!system || !value) throw badRequest('"identifier" must be system|value, both non-empty', 'identifier');
    patient = { identifier: { system, value } };
  }
  const baseline = query.get('baseline');
  if (baseline !== null && (baseline.length > 64 || !UID.test(baseline)))
    throw badRequest('"baseline" must be a StudyInstanceUID (digits and dots, at most 64)', 'baseline');
  const since = query.get('since');
  if (
    since !== null &&
    (!DATE.test(since) ||
      Number.isNaN(Date.parse(since.length === 4 ? `${since}-01-01` : since.length === 7 ? `${since}-01` : since)))
  )
    throw badRequest(
      '"since" must be a FHIR date or dateTime (2024, 2024-05, 2024-05-01 or 2024-05-01T10:00:00Z)',
      'since',
    );
  const question = query.get('question');
  if (question !== null && question.length > MAX_QUESTION)
    throw badRequest(`"question" is longer than ${MAX_QUESTION} characters`, 'question');
  return {
    patient,
    ...(baseline !== null ? { baseline } : {}),
    ...(since !== null ? { since } : {}),
    ...(question?.trim() ? { question: question.trim() } : {}),
  };
}
