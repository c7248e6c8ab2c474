/** `GET /api/stroke/assessment` query → a validated request; each problem a 400 naming its parameter. */
import { badRequest } from '../../core/errors.js';
import { ID_PATTERN } from '../../fhir/repository/repository.js';
import { GUIDELINES, type Guideline } from '../../clinical/stroke/index.js';

export interface StrokeRequest {
  patient: { id: string } | { identifier: { system: string; value: string } };
  studyUid?: string;
  guideline?: Guideline;
  /** Epoch ms. */
  at?: number;
}

const KNOWN = ['patient', 'identifier', 'study', 'guideline', 'at'];
const UID = /^[0-2](\.(0|[1-9]\d*))+$/;
// A FHIR dateTime: to the second at least when a time is given, with a zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseStrokeQuery(query: URLSearchParams): StrokeRequest {
  for (const name of new Set(query.keys())) {
    if (!KNOWN.includes(name)) throw badRequest(`unknown parameter "${name}" (known: ${KNOWN.join(', ')})`, name);
    if (query.getAll(name).length > 1) throw badRequest(`parameter "${name}" is given more than once`, name);
  }
  const id = query.get('patient');
  const identifier = query.get('identifier');
  if ((id === null) === (identifier === null))
    throw badRequest(
      'give exactly one of "patient" (a Patient id) or "identifier" (system|value)',
      id === null ? 'patient' : 'identifier',
    );
  let patient: StrokeRequest['patient'];
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
  const out: StrokeRequest = { patient };
  const study = query.get('study');
  if (study !== null) {
    if (!UID.test(study) || study.length > 64) throw badRequest('"study" must be a StudyInstanceUID', 'study');
    out.studyUid = study;
  }
  const guideline = query.get('guideline');
  if (guideline !== null) {
    if (!GUIDELINES.includes(guideline as Guideline))
      throw badRequest(`"guideline" must be one of ${GUIDELINES.join(', ')}`, 'guideline');
    out.guideline = guideline as Guideline;
  }
  const at = query.get('at');
  if (at !== null) {
    const ms = DATE_TIME.test(at) ? Date.parse(at) : Number.NaN;
    if (Number.isNaN(ms)) throw badRequest('"at" must be a FHIR dateTime (2026-03-01 or 2026-03-01T10:00:00Z)', 'at');
    out.at = ms;
  }
  return out;
}
