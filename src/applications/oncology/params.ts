/** `GET /api/oncology/summary` query → a validated request; every problem a 400 naming the parameter. */
import { badRequest } from '../../core/errors.js';
import { checkParameters, type PatientSelector, parsePatientSelector } from '../../context/index.js';

export interface OncologyRequest {
  patient: PatientSelector;
  baseline?: string;
  since?: string;
  question?: string;
}

const KNOWN = new Set(['patient', 'identifier', 'baseline', 'since', 'question']);
const UID = /^[0-2](\.(0|[1-9]\d*))+$/;
const DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;
export const MAX_QUESTION = 1000;

export function parseOncologyQuery(query: URLSearchParams): OncologyRequest {
  checkParameters(query, KNOWN);
  const patient = parsePatientSelector(query);
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
