/** `GET /api/stroke/assessment` query → a validated request; each problem a 400 naming its parameter. */
import { badRequest } from '../../core/errors.js';
import { checkParameters, type PatientSelector, parsePatientSelector } from '../../context/index.js';
import { GUIDELINES, type Guideline } from '../../clinical/stroke/index.js';

export interface StrokeRequest {
  patient: PatientSelector;
  studyUid?: string;
  guideline?: Guideline;
  /** Epoch ms. */
  at?: number;
}

const KNOWN = new Set(['patient', 'identifier', 'study', 'guideline', 'at']);
const UID = /^[0-2](\.(0|[1-9]\d*))+$/;
// A FHIR dateTime: to the second at least when a time is given, with a zone.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function parseStrokeQuery(query: URLSearchParams): StrokeRequest {
  checkParameters(query, KNOWN);
  const patient = parsePatientSelector(query);
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
