import { badRequest } from '../core/errors.js';
import { ID_PATTERN } from '../fhir/repository/repository.js';
import { isSection, SECTIONS, type SectionName } from './sections.js';

/** The patient a request names: a Patient id, or an identifier resolved on the clinical server. */
export type PatientSelector = { id: string } | { identifier: { system: string; value: string } };

/** A validated `GET /api/context` request. */
export interface ContextRequest {
  patient: PatientSelector;
  /** Epoch ms: time-stamped data (studies, observations, encounters, reports, past medications) from then on. */
  since?: number;
  /** Most recent imaging studies to return. */
  studyLimit: number;
  include: SectionName[];
}

export const DEFAULT_STUDY_LIMIT = 20;
export const MAX_STUDY_LIMIT = 200;
const KNOWN = new Set(['patient', 'identifier', 'since', 'studyLimit', 'include']);
// FHIR date / dateTime (year, month, day, or instant with zone).
const FHIR_DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/;

/** Query parameters → request; every problem is a 400 OperationOutcome naming the parameter. */
export function parseContextQuery(query: URLSearchParams): ContextRequest {
  checkParameters(query, KNOWN, new Set(['include']));
  const patient = parsePatientSelector(query);
  const include = query.getAll('include');
  return {
    patient,
    since: parseSince(query.get('since')),
    studyLimit: parseStudyLimit(query.get('studyLimit')),
    include: parseInclude(include.length ? include.join(',') : null),
  };
}

/**
 * Every parameter known and given once (but those in `repeatable`); else a 400 naming it.
 * Shared by the APIs that take a patient like /api/context (stroke, oncology).
 */
export function checkParameters(
  query: URLSearchParams,
  known: ReadonlySet<string>,
  repeatable: ReadonlySet<string> = new Set(),
): void {
  for (const name of new Set(query.keys())) {
    if (!known.has(name)) throw badRequest(`unknown parameter "${name}" (known: ${[...known].join(', ')})`, name);
    if (!repeatable.has(name) && query.getAll(name).length > 1)
      throw badRequest(`parameter "${name}" is given more than once`, name);
  }
}

/** `patient=<id>` or `identifier=<system>|<value>`, exactly one; else a 400 naming the parameter. */
export function parsePatientSelector(query: URLSearchParams): PatientSelector {
  const id = query.get('patient');
  const identifier = query.get('identifier');
  if ((id === null) === (identifier === null))
    throw badRequest(
      'give exactly one of "patient" (a Patient id) or "identifier" (system|value)',
      id === null ? 'patient' : 'identifier',
    );
  if (id !== null) {
    if (!ID_PATTERN.test(id))
      throw badRequest('"patient" is not a FHIR id (letters, digits, - and ., at most 64)', 'patient');
    return { id };
  }
  const bar = identifier!.indexOf('|');
  const system = bar < 0 ? '' : identifier!.slice(0, bar);
  const value = bar < 0 ? '' : identifier!.slice(bar + 1);
  if (!system || !value) throw badRequest('"identifier" must be system|value, both non-empty', 'identifier');
  return { identifier: { system, value } };
}

function parseSince(text: string | null): number | undefined {
  if (text === null) return undefined;
  const ms = FHIR_DATE.test(text)
    ? Date.parse(text.length === 4 ? `${text}-01-01` : text.length === 7 ? `${text}-01` : text)
    : NaN;
  if (Number.isNaN(ms))
    throw badRequest(
      '"since" must be a FHIR date or dateTime (2024, 2024-05, 2024-05-01 or 2024-05-01T10:00:00Z)',
      'since',
    );
  return ms;
}

function parseStudyLimit(text: string | null): number {
  if (text === null) return DEFAULT_STUDY_LIMIT;
  const n = /^\d{1,4}$/.test(text) ? Number(text) : NaN;
  if (!(n >= 1 && n <= MAX_STUDY_LIMIT))
    throw badRequest(`"studyLimit" must be an integer from 1 to ${MAX_STUDY_LIMIT}`, 'studyLimit');
  return n;
}

function parseInclude(text: string | null): SectionName[] {
  if (text === null) return [...SECTIONS];
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.length === 0) throw badRequest(`"include" lists no section (known: ${SECTIONS.join(', ')})`, 'include');
  const unknown = names.filter((n) => !isSection(n));
  if (unknown.length)
    throw badRequest(
      `"include": unknown section ${unknown.map((u) => `"${u}"`).join(', ')} (known: ${SECTIONS.join(', ')})`,
      'include',
    );
  // Response order, not request order: the same request always gives the same document.
  return SECTIONS.filter((s) => names.includes(s));
}
