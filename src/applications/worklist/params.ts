/** The query of GET /api/worklist, validated: an unknown parameter or a bad value is a 400 naming it. */
import { badRequest } from '../../core/errors.js';
import { time } from '../../clinical/worklist/index.js';

export interface WorklistQuery {
  status: 'unread' | 'all';
  modalities?: string[];
  /** Epoch ms: studies started (else received) at or after. */
  since?: number;
  limit: number;
  offset: number;
}

export const MAX_LIMIT = 1000;
const KNOWN = ['status', 'modality', 'since', 'limit', 'offset'];
const DATE = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max)
    throw badRequest(`${name} must be an integer from ${min} to ${max}`, name);
  return Number(text);
}

export function parseWorklistQuery(params: URLSearchParams): WorklistQuery {
  for (const key of new Set(params.keys())) {
    if (!KNOWN.includes(key)) throw badRequest(`unknown parameter ${key} (known: ${KNOWN.join(', ')})`, key);
    if (params.getAll(key).length > 1) throw badRequest(`${key} is given more than once`, key);
  }
  const out: WorklistQuery = { status: 'unread', limit: 100, offset: 0 };
  const status = params.get('status');
  if (status !== null) {
    if (status !== 'unread' && status !== 'all') throw badRequest('status must be unread or all', 'status');
    out.status = status;
  }
  const modality = params.get('modality');
  if (modality !== null) {
    const list = modality.split(',').map((m) => m.trim().toUpperCase());
    if (!list.every((m) => /^[A-Z0-9]{1,16}$/.test(m)))
      throw badRequest('modality must be DICOM modality codes separated by commas (e.g. CT,MR)', 'modality');
    out.modalities = list;
  }
  const since = params.get('since');
  if (since !== null) {
    const at = DATE.test(since) ? time(since) : undefined;
    if (at === undefined) throw badRequest('since must be a FHIR date or dateTime (e.g. 2026-12-06)', 'since');
    out.since = at;
  }
  const limit = params.get('limit');
  if (limit !== null) out.limit = integer('limit', limit, 1, MAX_LIMIT);
  const offset = params.get('offset');
  if (offset !== null) out.offset = integer('offset', offset, 0, 1_000_000);
  return out;
}
