import { QueryError } from './query-error.js';
import { looksLikeAttributeId, resolveAttribute, type AttributeRef } from './attribute-id.js';

/** One matching key: `value` is the raw query value ('' = universal matching). */
export interface MatchKey {
  attr: AttributeRef;
  value: string;
}

/** A QIDO-RS query string, checked (PS3.18 8.3.4). */
export interface ParsedQuery {
  keys: MatchKey[];
  includeAll: boolean;
  includeFields: AttributeRef[];
  /** As given by the client; the service caps it. */
  limit?: number;
  offset: number;
  fuzzyMatching: boolean;
  emptyValueMatching: boolean;
  multipleValueMatching: boolean;
  /** Parameters we do not support, ignored as PS3.18 8.3 asks (and reported in a Warning). */
  ignored: string[];
}

/** Content negotiation parameters (PS3.18 8.3.3.1): the route layer's business, not a search key. */
const NEGOTIATION_PARAMS = new Set(['accept', 'charset']);

/** Keys that may repeat: each value is one more element of a list (PS3.18 6.7.1.1.1 / UID list matching). */
const listKey = (attr: AttributeRef) => attr.vr === 'UI' || attr.keyword === 'ModalitiesInStudy';

export function parseQuery(params: URLSearchParams): ParsedQuery {
  const q: ParsedQuery = {
    keys: [],
    includeAll: false,
    includeFields: [],
    offset: 0,
    fuzzyMatching: false,
    emptyValueMatching: false,
    multipleValueMatching: false,
    ignored: [],
  };
  const seen = new Set<string>();
  const once = (name: string) => {
    if (seen.has(name)) throw new QueryError(name, `Query parameter "${name}" may appear only once`);
    seen.add(name);
  };
  const byTag = new Map<string, MatchKey>();
  for (const [name, value] of params) {
    switch (name) {
      case 'includefield':
        addIncludeFields(q, value);
        break;
      case 'limit':
        once(name);
        q.limit = unsignedInt(name, value);
        break;
      case 'offset':
        once(name);
        q.offset = unsignedInt(name, value);
        break;
      case 'fuzzymatching':
        once(name);
        q.fuzzyMatching = bool(name, value);
        break;
      case 'emptyvaluematching':
        once(name);
        q.emptyValueMatching = bool(name, value);
        break;
      case 'multiplevaluematching':
        once(name);
        q.multipleValueMatching = bool(name, value);
        break;
      default: {
        if (NEGOTIATION_PARAMS.has(name)) break;
        // PS3.18 8.3: unsupported parameters are ignored (we say so in a Warning); a misspelt
        // attribute keyword is still refused, since ignoring it would widen the result.
        if (!looksLikeAttributeId(name)) {
          q.ignored.push(name);
          break;
        }
        const attr = resolveAttribute(name, 'Query key');
        const earlier = byTag.get(attr.tag);
        if (!earlier) {
          const key = { attr, value };
          byTag.set(attr.tag, key);
          q.keys.push(key);
        } else if (listKey(attr)) {
          earlier.value = [earlier.value, value].filter((v) => v !== '').join(',');
        } else {
          throw new QueryError(
            name,
            `Query key ${attr.keyword} appears more than once; only UID keys and ModalitiesInStudy take a list`,
          );
        }
      }
    }
  }
  return q;
}

function addIncludeFields(q: ParsedQuery, value: string): void {
  for (const item of value.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    if (item === 'all') q.includeAll = true;
    else q.includeFields.push(resolveAttribute(item, 'includefield'));
  }
}

function unsignedInt(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value.trim())) throw new QueryError(name, `${name}="${value}" is not an unsigned integer`);
  return Number(value.trim());
}

function bool(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new QueryError(name, `${name}="${value}" must be true or false`);
}
